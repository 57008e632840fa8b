import { Migration } from '@mikro-orm/migrations';

/** Stuck-video tracking: the stage deadline, the stalled flag and the self-repair attempts. */
export class Migration20261128020000 extends Migration {
  override up(): void {
    this.addSql(
      `alter table "videos" add column "stalled" boolean not null default false, add column "stalled_since" timestamptz null, ` +
        `add column "deadline" timestamptz null, add column "last_event_at" timestamptz null, ` +
        `add column "reprocess_attempts" int not null default 0, add column "last_alert_at" timestamptz null;`,
    );
    this.addSql(`create index "videos_stalled_index" on "videos" ("stalled") where "stalled";`);
  }

  override down(): void {
    this.addSql(`drop index if exists "videos_stalled_index";`);
    this.addSql(
      `alter table "videos" drop column "stalled", drop column "stalled_since", drop column "deadline", ` +
        `drop column "last_event_at", drop column "reprocess_attempts", drop column "last_alert_at";`,
    );
  }
}
