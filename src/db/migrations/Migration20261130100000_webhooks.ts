import { Migration } from '@mikro-orm/migrations';

/**
 * Users' webhook endpoints and the log of their deliveries. No foreign key: deliveries are
 * deleted with their endpoint by the store (one transaction), and rows stay plain for the
 * row mapping.
 */
export class Migration20261130100000 extends Migration {
  override up(): void {
    this.addSql(
      `create table "webhook_endpoints" ("id" uuid not null, "user_id" varchar(200) not null, "url" varchar(2048) not null, ` +
        `"events" jsonb not null, "secret" varchar(64) not null, "previous_secret" varchar(64) null, ` +
        `"previous_secret_expires_at" timestamptz null, "created_at" timestamptz not null, "disabled" boolean not null default false, ` +
        `"disabled_reason" varchar(1000) null, "disabled_at" timestamptz null, "last_success_at" timestamptz null, ` +
        `"failing_since" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`create index "webhook_endpoints_user_id_index" on "webhook_endpoints" ("user_id");`);
    this.addSql(
      `create table "webhook_deliveries" ("id" varchar(40) not null, "endpoint_id" uuid not null, "type" varchar(32) not null, ` +
        `"video_id" varchar(128) not null, "version" int not null, "payload" jsonb not null, ` +
        `"status" varchar(16) not null, "attempts" int not null default 0, "last_status_code" int null, "last_error" varchar(500) null, ` +
        `"last_attempt_at" timestamptz null, "next_attempt_at" timestamptz null, "created_at" timestamptz not null, ` +
        `"delivered_at" timestamptz null, primary key ("id"), ` +
        `constraint "webhook_deliveries_type_check" check ("type" in ('video.created', 'video.recovered', 'video.stalled', 'video.processing', 'video.progress', 'video.completed', 'video.failed')), ` +
        `constraint "webhook_deliveries_status_check" check ("status" in ('pending', 'delivered', 'failed')));`,
    );
    this.addSql(
      `create index "webhook_deliveries_endpoint_created_index" on "webhook_deliveries" ("endpoint_id", "created_at", "id");`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "webhook_deliveries" cascade;`);
    this.addSql(`drop table if exists "webhook_endpoints" cascade;`);
  }
}
