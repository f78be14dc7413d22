// Client API keys for the data plane: created and revoked through the admin API, kept hashed
// (SHA-256: the keys are 192 random bits, so a fast hash is enough) in an owner-only file. A key is
// shown once, at creation. Client keys start with `gk-`; the admin token is another kind of key:
// it does not open the data plane, and a client key does not open the admin API.
import { existsSync, readFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { replaceJsonFile } from '../json-file';
import { z } from 'zod';

export const CLIENT_KEY_PREFIX = 'gk-';

export const newKeySchema = z
  .object({
    name: z.string().min(1).max(100),
    /** the routes (model names) this key may call; all when unset */
    routes: z.array(z.string().min(1)).min(1).optional(),
    /** requests per minute, refilled continuously; unlimited when unset */
    ratePerMinute: z.number().positive().optional(),
    /** requests allowed at once before the rate applies; defaults to the rate per second, at least 1 */
    burst: z.number().int().positive().optional(),
  })
  .strict();
export type NewKey = z.output<typeof newKeySchema>;

export interface ClientKeyRecord {
  id: string;
  name: string;
  /** sha256 of the key, hex */
  hash: string;
  /** the first characters of the key, to recognise it in a list */
  prefix: string;
  routes: string[] | null;
  ratePerMinute: number | null;
  burst: number | null;
  createdAt: string;
  revokedAt: string | null;
}

/** What the admin API shows of a key: everything but its hash. */
export type ClientKeyView = Omit<ClientKeyRecord, 'hash'>;

const hashOf = (key: string): string => createHash('sha256').update(key).digest('hex');
export const viewOf = ({ hash: _hash, ...view }: ClientKeyRecord): ClientKeyView => view;

export class ClientKeyStore {
  private readonly records: ClientKeyRecord[];
  private byHash = new Map<string, ClientKeyRecord>();

  constructor(private readonly file: string) {
    this.records = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ClientKeyRecord[]) : [];
    this.index();
  }

  create(spec: NewKey, now: Date): { key: string; record: ClientKeyRecord } {
    const key = `${CLIENT_KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
    const record: ClientKeyRecord = {
      id: randomBytes(6).toString('hex'),
      name: spec.name,
      hash: hashOf(key),
      prefix: key.slice(0, CLIENT_KEY_PREFIX.length + 6),
      routes: spec.routes ?? null,
      ratePerMinute: spec.ratePerMinute ?? null,
      burst: spec.burst ?? (spec.ratePerMinute ? Math.max(1, Math.ceil(spec.ratePerMinute / 60)) : null),
      createdAt: now.toISOString(),
      revokedAt: null,
    };
    this.records.push(record);
    this.save();
    return { key, record };
  }

  list(): ClientKeyRecord[] {
    return [...this.records];
  }

  /** Revokes a key for good; undefined when no key has that id. */
  revoke(id: string, now: Date): ClientKeyRecord | undefined {
    const record = this.records.find((r) => r.id === id);
    if (!record) return undefined;
    record.revokedAt ??= now.toISOString();
    this.save();
    return record;
  }

  /** The live key a bearer token is, if any. */
  find(token: string): ClientKeyRecord | undefined {
    if (!token.startsWith(CLIENT_KEY_PREFIX)) return undefined;
    return this.byHash.get(hashOf(token));
  }

  private index(): void {
    this.byHash = new Map(this.records.filter((r) => r.revokedAt === null).map((r) => [r.hash, r]));
  }

  private save(): void {
    replaceJsonFile(this.file, this.records, { ownerOnly: true });
    this.index();
  }
}
