// Typesets TeX with KaTeX for the MkDocs build (see katex.py beside this file).
//
// Protocol: one JSON request per line on stdin, {"tex": "...", "display": bool},
// one JSON answer per line on stdout, {"html": "..."} or {"error": "..."}.
// The process lives for the whole build, so KaTeX is loaded once.
"use strict";

const readline = require("readline");

const katexDir = process.argv[2];
const katex = require(katexDir); // the katex package folder, from package-lock.json

const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on("line", (line) => {
  let answer;
  try {
    const request = JSON.parse(line);
    const html = katex.renderToString(request.tex, {
      displayMode: Boolean(request.display),
      throwOnError: true, // a TeX error becomes a build warning, and --strict fails
      strict: "error", // so do LaTeX-compatibility complaints
      output: "htmlAndMathml", // MathML keeps the math readable to screen readers
    });
    answer = { html };
  } catch (err) {
    answer = { error: String(err && err.message ? err.message : err) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
