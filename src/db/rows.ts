/**
 * Rows <-> domain values, for every entity alike. The domain keeps times as RFC 3339 strings (its
 * values cross Temporal as JSON), rows keep Dates; every other field is stored as it is. The
 * entity's metadata says which fields are times, so a new field needs no mapping code, and
 * `Domain<Row>` lets the compiler check, where a row meets a domain type, that they agree field
 * by field.
 */
import type { EntityName, RequiredEntityData } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';

/** A row's field as the domain holds it. */
type DomainValue<T> = T extends Date ? string : T;

/** A row as the domain holds it. */
export type Domain<Row> = { [K in keyof Row]: DomainValue<Row[K]> };

export interface RowMapping<Row extends object> {
  toDomain(row: Row): Domain<Row>;
  toRow(value: Domain<Row>): RequiredEntityData<Row>;
}

/** Both directions for one entity. Absent and null are both stored and read as null. */
export function rowMapping<Row extends object>(em: EntityManager, entity: EntityName<Row>): RowMapping<Row> {
  const fields = em.getMetadata(entity).props.map((prop) => ({ name: prop.name, time: prop.runtimeType === 'Date' }));
  const convert = (from: object, time: (v: unknown) => unknown) => {
    const to: Record<string, unknown> = {};
    for (const field of fields) {
      const v = (from as Record<string, unknown>)[field.name];
      to[field.name] = v === null || v === undefined ? null : field.time ? time(v) : v;
    }
    return to;
  };
  return {
    toDomain: (row) => convert(row, (v) => (v as Date).toISOString()) as Domain<Row>,
    toRow: (value) => convert(value, (v) => new Date(v as string)) as RequiredEntityData<Row>,
  };
}
