import { Migration } from '@mikro-orm/migrations';

/**
 * Indexes for video listings, newest first (created_at desc, video_id desc as the keyset's
 * tiebreak): a user's, everyone's (operators), everyone's in one status. They replace the
 * single-column user_id and status indexes, which are their prefixes. Built inside the
 * migration's transaction: writes to videos wait while they build (seconds for a million rows).
 */
export class Migration20261130000000 extends Migration {
  override up(): void {
    this.addSql(`create index "videos_user_listing_index" on "videos" ("user_id", "created_at" desc, "video_id" desc);`);
    this.addSql(`create index "videos_listing_index" on "videos" ("created_at" desc, "video_id" desc);`);
    this.addSql(`create index "videos_status_listing_index" on "videos" ("status", "created_at" desc, "video_id" desc);`);
    this.addSql(`drop index "videos_user_id_index";`);
    this.addSql(`drop index "videos_status_index";`);
  }

  override down(): void {
    this.addSql(`create index "videos_status_index" on "videos" ("status");`);
    this.addSql(`create index "videos_user_id_index" on "videos" ("user_id");`);
    this.addSql(`drop index "videos_status_listing_index";`);
    this.addSql(`drop index "videos_listing_index";`);
    this.addSql(`drop index "videos_user_listing_index";`);
  }
}
