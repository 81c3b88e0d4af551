/**
 * Writes notes/vendor-contract.docx, the DOCX of the qa-notes set, with the `docx` package
 * (a devDependency). The file is committed; run this only to change it:
 *   npx tsx bench/qa-notes/make-docx.ts
 * The same text always gives the same document text (the loader reads paragraphs in order);
 * the zip bytes may differ between runs because of timestamps.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document, HeadingLevel, Packer, Paragraph, TextRun } from 'docx';

/** The paragraphs, in order: [heading level or 0 for body text, text]. */
export const VENDOR_CONTRACT: ReadonlyArray<readonly [0 | 1 | 2, string]> = [
  [1, 'Support contract with Northwind Hosting'],
  [0, 'The contract was signed on 3 March 2025 and runs for 36 months.'],
  [2, 'Service levels'],
  [0, 'Northwind guarantees 99.95 percent monthly availability for the hosted search cluster.'],
  [0, 'A critical incident must be answered within 30 minutes, at any hour.'],
  [2, 'Fees'],
  [0, 'The monthly fee is 4,800 euros, invoiced on the first working day of each month.'],
  [2, '해지 조건'],
  [0, '계약을 해지하려면 만료 90일 전까지 서면으로 통보해야 한다.'],
  [0, '담당자는 구매팀의 정유진 과장이다.'],
];

async function main(): Promise<void> {
  const doc = new Document({
    creator: 'openbook qa-notes',
    sections: [
      {
        children: VENDOR_CONTRACT.map(([level, text]) =>
          level === 0
            ? new Paragraph({ children: [new TextRun(text)] })
            : new Paragraph({ heading: level === 1 ? HeadingLevel.HEADING_1 : HeadingLevel.HEADING_2, children: [new TextRun(text)] }),
        ),
      },
    ],
  });
  const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'notes', 'vendor-contract.docx');
  await writeFile(out, await Packer.toBuffer(doc));
  process.stdout.write(`wrote ${out}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
