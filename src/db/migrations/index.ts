import { Migration20261128000000 } from './Migration20261128000000_init.js';
import { Migration20261128020000 } from './Migration20261128020000_stall.js';
import { Migration20261129000000 } from './Migration20261129000000_limits.js';
import { Migration20261129120000 } from './Migration20261129120000_changes.js';
import { Migration20261130000000 } from './Migration20261130000000_listing.js';
import { Migration20261130100000 } from './Migration20261130100000_webhooks.js';
import { Migration20261130200000 } from './Migration20261130200000_runs.js';

/** Every migration, in order. Add new ones here (see README, "Database migrations"). */
export const migrationsList = [
  { name: 'Migration20261128000000_init', class: Migration20261128000000 },
  { name: 'Migration20261128020000_stall', class: Migration20261128020000 },
  { name: 'Migration20261129000000_limits', class: Migration20261129000000 },
  { name: 'Migration20261129120000_changes', class: Migration20261129120000 },
  { name: 'Migration20261130000000_listing', class: Migration20261130000000 },
  { name: 'Migration20261130100000_webhooks', class: Migration20261130100000 },
  { name: 'Migration20261130200000_runs', class: Migration20261130200000 },
];
