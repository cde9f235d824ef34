import { DEVICE_KINDS, FIELDS_BY_KIND, type DeviceKind, type FieldValues } from '../../contracts/index.js';

export type Row = Record<string, number | string | null>;

/** Field values ↔ REAL columns; booleans are stored as 0/1 and read back as booleans. */
export class KindColumns {
  readonly fields: string[];
  private readonly booleans: Set<string>;

  constructor(readonly kind: DeviceKind) {
    const catalogue = FIELDS_BY_KIND[kind];
    this.fields = Object.keys(catalogue);
    this.booleans = new Set(this.fields.filter((f) => catalogue[f]!.type === 'boolean'));
  }

  /** Stored as 0/1 and read back as a boolean. */
  isBoolean(field: string): boolean {
    return this.booleans.has(field);
  }

  fromRow(row: Row): FieldValues {
    const values: FieldValues = {};
    for (const f of this.fields) {
      const v = row[f];
      if (typeof v === 'number') values[f] = this.booleans.has(f) ? v !== 0 : v;
    }
    return values;
  }
}

export const COLUMNS = Object.fromEntries(DEVICE_KINDS.map((k) => [k, new KindColumns(k)])) as Record<DeviceKind, KindColumns>;
