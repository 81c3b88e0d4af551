/** Peers without bundled type declarations; bench/systems.ts types the parts it calls. */
declare module 'wink-bm25-text-search';
declare module 'wink-nlp-utils';
