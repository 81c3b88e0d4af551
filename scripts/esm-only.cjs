// `require('openbook')`: openbook is published as ES modules only. One line saying so, instead of
// Node's ERR_REQUIRE_ESM or "No exports main defined".
throw new Error("openbook is an ES module package: use import('openbook') (or import { Engine } from 'openbook'); require() is not supported");
