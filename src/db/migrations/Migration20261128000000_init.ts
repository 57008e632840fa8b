import { Migration } from '@mikro-orm/migrations';

/** The video projection and its event history. */
export class Migration20261128000000 extends Migration {
  override up(): void {
    this.addSql(
      `create table "videos" ("video_id" varchar(128) not null, "user_id" varchar(256) null, "file_name" varchar(1024) null, ` +
        `"status" varchar(16) not null, "progress" double precision null, "images_url" text null, "frame_count" int null, ` +
        `"error" jsonb null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "completed_at" timestamptz null, ` +
        `"version" int not null, primary key ("video_id"), ` +
        `constraint "videos_status_check" check ("status" in ('uploaded', 'processing', 'completed', 'failed')));`,
    );
    this.addSql(`create index "videos_user_id_index" on "videos" ("user_id");`);
    this.addSql(`create index "videos_status_index" on "videos" ("status");`);
    this.addSql(
      `create table "video_events" ("video_id" varchar(128) not null, "seq" int not null, "event_id" varchar(256) not null, ` +
        `"type" varchar(128) not null, "source" varchar(1024) not null, "event_time" timestamptz not null, ` +
        `"received_at" timestamptz not null, "applied" boolean not null, "reason" text not null, "data" jsonb null, ` +
        `primary key ("video_id", "seq"));`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "video_events" cascade;`);
    this.addSql(`drop table if exists "videos" cascade;`);
  }
}
