import { ValidationError } from '../errors.ts';

/** File kinds the platforms accept, recognised by their first bytes, never by name or declared type. */
export type FileKind = 'jpeg' | 'png' | 'pdf' | 'zip';

const SIGNATURES: ReadonlyArray<{ kind: FileKind; bytes: readonly number[] }> = [
  { kind: 'jpeg', bytes: [0xff, 0xd8, 0xff] },
  { kind: 'png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { kind: 'pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] },
  { kind: 'zip', bytes: [0x50, 0x4b, 0x03, 0x04] },
  { kind: 'zip', bytes: [0x50, 0x4b, 0x05, 0x06] },
];

export const MIME_TYPES: Record<FileKind, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  pdf: 'application/pdf',
  zip: 'application/zip',
};

/** The kind the content says it is, whatever its name claims. */
export function sniffFileKind(bytes: Uint8Array): FileKind | undefined {
  return SIGNATURES.find(({ bytes: signature }) => signature.every((byte, i) => bytes[i] === byte))?.kind;
}

/**
 * Checks an upload by content: not empty, at most `maxBytes`, and of one of the `allowed` kinds.
 * Errors name `field`: FILE_EMPTY, FILE_TOO_LARGE, FILE_TYPE_NOT_ALLOWED (also for a file whose name lies).
 */
export function checkUpload(bytes: Uint8Array, allowed: readonly FileKind[], maxBytes: number, field: string): FileKind {
  if (bytes.length === 0) throw new ValidationError(field, 'The file is empty', 'FILE_EMPTY');
  if (bytes.length > maxBytes) {
    throw new ValidationError(field, `The file is larger than ${Math.round(maxBytes / 1024 / 1024)} MB`, 'FILE_TOO_LARGE');
  }
  const kind = sniffFileKind(bytes);
  if (!kind || !allowed.includes(kind)) {
    throw new ValidationError(field, `Only ${allowed.join(', ')} files are accepted (checked by content, not by name)`, 'FILE_TYPE_NOT_ALLOWED');
  }
  return kind;
}
