import { Migration } from '@mikro-orm/migrations';

/**
 * Where each video stands in the order of changes: every write of the row takes the next value,
 * so a stream of all of a user's videos can resume after the last change a client saw.
 */
export class Migration20261129120000 extends Migration {
  override up(): void {
    this.addSql(`alter table "videos" add column "change_seq" bigserial;`);
    this.addSql(`create index "videos_user_id_change_seq_index" on "videos" ("user_id", "change_seq");`);
    this.addSql(`create index "videos_change_seq_index" on "videos" ("change_seq");`);
  }

  override down(): void {
    this.addSql(`drop index if exists "videos_change_seq_index";`);
    this.addSql(`drop index if exists "videos_user_id_change_seq_index";`);
    this.addSql(`alter table "videos" drop column "change_seq";`);
  }
}
