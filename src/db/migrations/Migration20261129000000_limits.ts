import { Migration } from '@mikro-orm/migrations';

/**
 * Columns as long as the domain's limits (src/domain/events.ts), no longer: user ids are at most
 * LIMITS.userId (200) and recorded event ids at most RECORDED_EVENT_ID_MAX (213, a registration's
 * id is "registration:" and the owner's id). The edge never accepted longer values.
 * No USING clause on purpose: the default assignment cast fails on a longer value, where an
 * explicit `::varchar(n)` would silently cut it. Shrinking rewrites the tables.
 */
export class Migration20261129000000 extends Migration {
  override up(): void {
    this.addSql(`alter table "videos" alter column "user_id" type varchar(200);`);
    this.addSql(`alter table "video_events" alter column "event_id" type varchar(213);`);
  }

  override down(): void {
    this.addSql(`alter table "video_events" alter column "event_id" type varchar(256);`);
    this.addSql(`alter table "videos" alter column "user_id" type varchar(256);`);
  }
}
