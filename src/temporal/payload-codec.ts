// An optional AES-256-GCM payload codec (Temporal's documented encryption pattern): with
// GANTRY_PAYLOAD_KEY set, every payload the SDK writes — workflow input, activity arguments and
// results, queries, signals — reaches the Temporal server encrypted, so its history and database
// hold ciphertext. The whole payload (metadata too) is sealed, so not even its type is visible.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { GantryError } from '../errors';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_FIELD = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | null | undefined): string => (bytes ? new TextDecoder().decode(bytes) : '');

/** Reads GANTRY_PAYLOAD_KEY: 32 bytes, base64. A bad key is a one-line error, never a silent plaintext run. */
export function parsePayloadKey(base64: string): Buffer {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32) {
    throw new GantryError(
      'INVALID_SPEC',
      `GANTRY_PAYLOAD_KEY must be 32 bytes in base64 (it decodes to ${key.length}): make one with \`openssl rand -base64 32\``,
    );
  }
  return key;
}

export class AesGcmPayloadCodec implements PayloadCodec {
  /** Names the key without revealing it, so a payload sealed with another key is named as such. */
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 16);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.key, iv);
      const sealed = Buffer.concat([iv, cipher.update(PayloadMessage.encode(payload).finish()), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_FIELD]: utf8(this.keyId) }, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // Payloads written before encryption was turned on stay readable.
      if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyId = text(payload.metadata?.[KEY_ID_FIELD]);
      if (keyId !== this.keyId) {
        throw new Error(`payload was encrypted with key ${keyId || '(unnamed)'}, but GANTRY_PAYLOAD_KEY is key ${this.keyId}`);
      }
      const sealed = Buffer.from(payload.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, IV_BYTES));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
      return PayloadMessage.decode(plain);
    });
  }
}

/** The data converter option for clients and workers: the codec when a key is set, nothing otherwise. */
export function dataConverterFor(payloadKey: string | undefined): { payloadCodecs: PayloadCodec[] } | undefined {
  return payloadKey ? { payloadCodecs: [new AesGcmPayloadCodec(parsePayloadKey(payloadKey))] } : undefined;
}
