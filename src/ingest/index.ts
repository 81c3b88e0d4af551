/** Ingestion: walking paths, decoding, loading each format, and chunking. */
export { walkPaths, formatOf, FORMAT_BY_EXTENSION, DEFAULT_EXCLUDED_DIRS, type WalkEntry, type WalkOptions } from './walk.js';
export { checkEncodingLabel, decodeText, normalizeText, firstInvalidUtf8, type DecodedText, type TextEncodingName } from './encoding.js';
export { loadFile, loadBytes } from './load.js';
export { type LoadOptions, type SourceInfo, sha256Hex } from './source.js';
export { loadTxt } from './txt.js';
export { loadMarkdown, parseMarkdownStructure, stripInlineMarkdown, type MarkdownStructure } from './markdown.js';
export { loadHtml, htmlToDocumentParts } from './html.js';
export { loadPdf, PAGE_SEPARATOR } from './pdf.js';
export { loadDocx } from './docx.js';
export { loadJsonl } from './jsonl.js';
export { loadCsv, parseCsv, sniffDelimiter, decodeCsv, type CsvRecord } from './csv.js';
export { loadXlsx } from './xlsx.js';
export { loadPptx } from './pptx.js';
export { loadHwpx } from './hwpx.js';
export { loadHwp, HWPTAG_PARA_TEXT } from './hwp.js';
export { loadEpub } from './epub.js';
export { checkChunking, chunkDocument, countTokens, DEFAULT_CHUNKING, type ChunkOptions } from './chunk.js';
export { openZip, inflateCapped, DecompressionBudget, DEFAULT_MAX_DECOMPRESSED_BYTES, formatBytes, type ZipArchive, type ZipEntry } from './zip.js';
