import { describe, expect, it } from 'vitest';
import { checkInvoiceFile, INVOICE_FILE_MAX_BYTES, sniffInvoiceFile } from '../../src/domains/invoice/invoice-file.ts';
import { PNG } from '../support/orders.ts';

/** A zip archive with stored (uncompressed) entries: enough to stand for an OFD package. */
function zip(entries: Record<string, string>): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(entries)) {
    const nameBytes = Buffer.from(name);
    const data = Buffer.from(text);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, directory, end]));
}

describe('invoice files are recognised by content', () => {
  it('accepts pdf, an OFD package and an XML invoice', () => {
    expect(sniffInvoiceFile(Buffer.from('%PDF-1.4\n%%EOF\n'))).toBe('pdf');
    expect(sniffInvoiceFile(zip({ 'OFD.xml': '<ofd:OFD/>', 'Doc_0/Document.xml': '<ofd:Document/>' }))).toBe('ofd');
    expect(sniffInvoiceFile(Buffer.from('\ufeff\n<?xml version="1.0" encoding="UTF-8"?><EInvoice/>'))).toBe('xml');
  });

  it('refuses a plain zip, an image named like an invoice, and text that only mentions xml', () => {
    expect(sniffInvoiceFile(zip({ 'invoice.pdf': '%PDF-1.4' }))).toBeUndefined();
    expect(sniffInvoiceFile(PNG)).toBeUndefined();
    expect(sniffInvoiceFile(Buffer.from('hello <?xml'))).toBeUndefined();
    expect(() => checkInvoiceFile(PNG, 'input.file')).toThrow(expect.objectContaining({ code: 'FILE_TYPE_NOT_ALLOWED', field: 'input.file' }));
  });

  it('refuses an empty file and one over 10 MB', () => {
    expect(() => checkInvoiceFile(new Uint8Array(), 'input.file')).toThrow(expect.objectContaining({ code: 'FILE_EMPTY' }));
    const large = new Uint8Array(INVOICE_FILE_MAX_BYTES + 1);
    large.set(Buffer.from('%PDF-1.4'));
    expect(() => checkInvoiceFile(large, 'input.file')).toThrow(expect.objectContaining({ code: 'FILE_TOO_LARGE' }));
  });
});
