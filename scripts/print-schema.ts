/** Writes the executable schema as SDL to schema/schema.graphql (`npm run schema:print`). */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { printSchemaFile } from '../src/schema.ts';

const target = fileURLToPath(new URL('../schema/schema.graphql', import.meta.url));
await writeFile(target, printSchemaFile());
console.log(`wrote ${target}`);
