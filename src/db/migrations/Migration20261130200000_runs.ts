import { Migration } from '@mikro-orm/migrations';

/**
 * Which workflow run last wrote a video's row, and what that run started from (the row it
 * loaded, or null): a run whose first workflow task is retried after its local activities wrote
 * (a worker killed or overloaded mid-task) loads what it started from, not its own writes. Both
 * nullable: adding them rewrites nothing.
 */
export class Migration20261130200000 extends Migration {
  override up(): void {
    this.addSql(`alter table "videos" add column "run_id" varchar(64) null, add column "run_base" jsonb null;`);
  }

  override down(): void {
    this.addSql(`alter table "videos" drop column "run_id", drop column "run_base";`);
  }
}
