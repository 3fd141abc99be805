import { html, markupOf } from "./html";

/*
 * How every trust page begins, byte for byte. `tenantry report --out` replaces an existing file
 * only when it begins so: a page this command wrote. Anything else at that path (the saved proof
 * being read, a stack file, the local state) is someone's data, and is never overwritten.
 */
export const PAGE_HEAD_HTML = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="tenantry report">`;

export const PAGE_HEAD: string = markupOf(PAGE_HEAD_HTML);
