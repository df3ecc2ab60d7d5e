import { ValidationError } from '../../errors.ts';
import { sniffFileKind } from '../../files/sniff.ts';

/** The files an electronic invoice comes as: PDF, OFD (GB/T 33190, a zip with OFD.xml at its root) or XML (全电发票). */
export type InvoiceFileKind = 'pdf' | 'ofd' | 'xml';

export const INVOICE_FILE_MAX_BYTES = 10 * 1024 * 1024;

export const INVOICE_MIME_TYPES: Record<InvoiceFileKind, string> = {
  pdf: 'application/pdf',
  ofd: 'application/ofd',
  xml: 'application/xml',
};

/**
 * Checks an uploaded invoice file by content, never by name: not empty, at most 10 MB, and a PDF, an OFD package or
 * an XML document. Errors name `field`: FILE_EMPTY, FILE_TOO_LARGE, FILE_TYPE_NOT_ALLOWED.
 */
export function checkInvoiceFile(bytes: Uint8Array, field: string): InvoiceFileKind {
  if (bytes.length === 0) throw new ValidationError(field, 'The file is empty', 'FILE_EMPTY');
  if (bytes.length > INVOICE_FILE_MAX_BYTES) throw new ValidationError(field, 'The file is larger than 10 MB', 'FILE_TOO_LARGE');
  const kind = sniffInvoiceFile(bytes);
  if (!kind) throw new ValidationError(field, 'Only pdf, ofd and xml invoices are accepted (checked by content, not by name)', 'FILE_TYPE_NOT_ALLOWED');
  return kind;
}

export function sniffInvoiceFile(bytes: Uint8Array): InvoiceFileKind | undefined {
  const kind = sniffFileKind(bytes);
  if (kind === 'pdf') return 'pdf';
  if (kind === 'zip') return zipEntryNames(bytes).includes('OFD.xml') ? 'ofd' : undefined;
  return isXml(bytes) ? 'xml' : undefined;
}

/** An XML declaration first, after an optional UTF-8 byte order mark and white space. */
function isXml(bytes: Uint8Array): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && [0x20, 0x09, 0x0a, 0x0d].includes(bytes[i]!)) i += 1;
  return Buffer.from(bytes.subarray(i, i + 5)).toString('latin1') === '<?xml';
}

/** The entry names of a zip's central directory (empty when the archive is malformed). */
function zipEntryNames(bytes: Uint8Array): string[] {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-central-directory record is 22 bytes plus a comment of up to 65 535 bytes, at the very end.
  for (let end = view.length - 22; end >= Math.max(0, view.length - 22 - 0xffff); end -= 1) {
    if (view.readUInt32LE(end) !== 0x06054b50) continue;
    const count = view.readUInt16LE(end + 10);
    let at = view.readUInt32LE(end + 16);
    const names: string[] = [];
    for (let n = 0; n < count; n += 1) {
      if (at + 46 > view.length || view.readUInt32LE(at) !== 0x02014b50) return [];
      const nameLength = view.readUInt16LE(at + 28);
      const extraLength = view.readUInt16LE(at + 30);
      const commentLength = view.readUInt16LE(at + 32);
      names.push(view.toString('utf8', at + 46, at + 46 + nameLength));
      at += 46 + nameLength + extraLength + commentLength;
    }
    return names;
  }
  return [];
}
