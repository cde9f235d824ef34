import { DEVICE_KINDS, FIELDS_BY_KIND, type DeviceKind, type FieldValues } from '../../contracts/index.js';

export type Row = Record<string, number | string | null>;

/** Field values ↔ REAL columns; booleans are stored as 0/1 and read back as booleans. */
export class KindColumns {
  readonly fields: string[];
  private readonly booleans: Set<string>;
  /** Per field, in {@link fields} order: stored as 0/1. */
  private readonly booleanAt: boolean[];

  constructor(readonly kind: DeviceKind) {
    const catalogue = FIELDS_BY_KIND[kind];
    this.fields = Object.keys(catalogue);
    this.booleans = new Set(this.fields.filter((f) => catalogue[f]!.type === 'boolean'));
    this.booleanAt = this.fields.map((f) => this.booleans.has(f));
  }

  /** The value of the field at `index` (in {@link fields} order) as its column holds it: booleans as 0/1, a missing one as NULL. */
  columnValue(index: number, values: FieldValues): number | null {
    const v = values[this.fields[index]!];
    if (v === undefined) return null;
    return this.booleanAt[index] ? Number(v) : (v as number);
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
