// The cnaps_rag page: ask a question or paste a prompt, show the answer rendered from its Markdown,
// draw its Mermaid flowcharts, and show each sentence's provenance on hover, focus or click.
//
// Every piece of question and source text reaches the page as a text node (textContent), never as
// markup: a summary holding "<script>" is shown as those characters. The only markup inserted is
// Mermaid's own SVG, drawn with securityLevel "strict" from the flowchart source the server wrote.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  let diagramCount = 0;

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    if (!response.ok) {
      throw new Error((data && data.detail) || `${response.status} ${response.statusText}`);
    }
    return data;
  }

  // --- provenance -----------------------------------------------------------------------------

  function statementsOf(answer) {
    const out = [...answer.task.statements];
    for (const flow of answer.workflow) {
      for (const node of flow.nodes) out.push(node.statement);
      out.push(...flow.notes);
    }
    for (const ref of answer.references) out.push(ref.why);
    return out.filter((s) => s.text && s.text.trim());
  }

  // Where a statement occurs in a Markdown line: its text with the citation marks "[n]" the
  // renderer put before the final full stop. Returns [start, end) or null.
  function locate(line, text) {
    const core = text.endsWith(".") && !text.endsWith("..") ? text.slice(0, -1) : text;
    if (!core) return null;
    const start = line.indexOf(core);
    if (start < 0) return null;
    const tail = line.slice(start + core.length).match(/^(?: ?\[\d+\])*\.?/);
    return [start, start + core.length + (tail ? tail[0].length : 0)];
  }

  function showProvenance(answer, statement, span) {
    document.querySelectorAll(".stmt.selected").forEach((el) => el.classList.remove("selected"));
    if (span) span.classList.add("selected");
    const body = $("provenance-body");
    body.replaceChildren();
    const said = document.createElement("p");
    said.textContent = statement.text;
    body.append(said);
    const names = {};
    for (const ref of answer.references) names[ref.source.id] = `[${ref.number}] ${ref.source.name}`;
    const cites = document.createElement("p");
    cites.textContent = statement.template
      ? "Fixed wording of cnaps_rag; it cites no source."
      : "Cites: " + statement.sources.map((id) => names[id] || id).join("; ");
    body.append(cites);
    for (const ev of statement.evidence) {
      const block = document.createElement("blockquote");
      block.className = "evidence";
      const origin = document.createElement("span");
      origin.className = "origin";
      origin.textContent = ev.origin === "question" ? "from your question"
        : ev.origin === "template" ? "cnaps_rag's wording"
        : `from ${names[ev.source_id] || ev.source_id}` + (ev.via_card ? ` (via the card ${ev.via_card})` : "");
      const quote = document.createElement("span");
      quote.textContent = `“${ev.quote}”`;
      block.append(origin, quote);
      body.append(block);
    }
  }

  // --- Markdown (the subset the answer template writes) ------------------------------------------

  // Inline text: **bold**, *italic* and bare http(s) links, as DOM nodes.
  function inline(parent, text) {
    const pattern = /\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*|(https?:\/\/[^\s<>"'`]+)/g;
    let last = 0;
    for (const m of text.matchAll(pattern)) {
      if (m.index > last) parent.append(document.createTextNode(text.slice(last, m.index)));
      if (m[1] !== undefined) {
        const strong = document.createElement("strong");
        inline(strong, m[1]);
        parent.append(strong);
      } else if (m[2] !== undefined) {
        const em = document.createElement("em");
        inline(em, m[2]);
        parent.append(em);
      } else {
        let url = m[3];
        const trailing = url.match(/[.,;:!?)\]]+$/);
        if (trailing) url = url.slice(0, -trailing[0].length);
        const a = document.createElement("a");
        a.href = url;
        a.textContent = url;
        a.rel = "noopener noreferrer";
        a.target = "_blank";
        parent.append(a);
        if (trailing) parent.append(document.createTextNode(trailing[0]));
      }
      last = m.index + m[0].length;
    }
    if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
  }

  // Markdown's character references (&lt; &amp; &#39; …) as the characters they stand for; the
  // result only ever becomes text nodes.
  const NAMED = { lt: "<", gt: ">", amp: "&", quot: "\"", apos: "'", nbsp: "\u00a0" };
  function decodeEntities(text) {
    return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,5});/gi, (whole, name) => {
      if (name[0] !== "#") return NAMED[name.toLowerCase()] ?? whole;
      const code = name[1].toLowerCase() === "x" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
    });
  }

  // A line's text with each statement it holds wrapped in a span that shows its provenance.
  function sentences(parent, text, context) {
    let rest = decodeEntities(text);
    while (rest) {
      let best = null;
      for (const statement of context.statements) {
        const at = locate(rest, statement.text);
        if (at && (!best || at[0] < best.at[0])) best = { at, statement };
      }
      if (!best) { inline(parent, rest); return; }
      if (best.at[0] > 0) inline(parent, rest.slice(0, best.at[0]));
      const span = document.createElement("span");
      span.className = "stmt";
      span.tabIndex = 0;
      inline(span, rest.slice(best.at[0], best.at[1]));
      const show = () => showProvenance(context.answer, best.statement, span);
      span.addEventListener("mouseenter", show);
      span.addEventListener("focus", show);
      span.addEventListener("click", show);
      parent.append(span);
      rest = rest.slice(best.at[1]);
    }
  }

  function renderMarkdown(markdown, answer) {
    const context = { answer, statements: statementsOf(answer) };
    const root = document.createDocumentFragment();
    const lines = markdown.split("\n");
    let list = null, item = null, paragraph = null;
    const close = () => { list = null; item = null; paragraph = null; };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      let m;
      if (line.startsWith("```")) {
        const lang = line.slice(3).trim();
        const code = [];
        while (++i < lines.length && !lines[i].startsWith("```")) code.push(lines[i]);
        close();
        const box = document.createElement(lang === "mermaid" ? "div" : "pre");
        box.className = lang === "mermaid" ? "diagram mermaid" : "code";
        box.textContent = code.join("\n");
        root.append(box);
      } else if (!line.trim()) {
        paragraph = null;
        if (list && !(lines[i + 1] || "").match(/^\s*(\d+\.|-) /)) close();
      } else if ((m = line.match(/^(#{1,4}) (.*)$/))) {
        close();
        const h = document.createElement(`h${m[1].length + 1}`);
        sentences(h, m[2], context);
        root.append(h);
      } else if (line.trim() === "---") {
        close();
        root.append(document.createElement("hr"));
      } else if ((m = line.match(/^> ?(.*)$/))) {
        close();
        const q = document.createElement("blockquote");
        q.className = answer.abstained ? "abstained" : "";
        sentences(q, m[1], context);
        root.append(q);
      } else if ((m = line.match(/^(\d+)\. (.*)$/))) {
        if (!list) { list = document.createElement("ol"); list.start = Number(m[1]); root.append(list); }
        item = document.createElement("li");
        sentences(item, m[2], context);
        list.append(item);
        paragraph = null;
      } else if ((m = line.match(/^\s+- (.*)$/)) && item) {
        let sub = item.querySelector(":scope > ul");
        if (!sub) { sub = document.createElement("ul"); item.append(sub); }
        const li = document.createElement("li");
        sentences(li, m[1], context);
        sub.append(li);
      } else {
        if (list) close();
        if (!paragraph) { paragraph = document.createElement("p"); root.append(paragraph); }
        else paragraph.append(document.createTextNode(" "));
        sentences(paragraph, line, context);
      }
    }
    return root;
  }

  async function drawDiagrams(root) {
    const boxes = [...root.querySelectorAll(".diagram.mermaid")];
    if (!boxes.length || typeof mermaid === "undefined") return;
    for (const box of boxes) box.id = `diagram-${++diagramCount}`;
    await mermaid.run({ nodes: boxes });
  }

  // --- the forms -------------------------------------------------------------------------------

  async function show(request) {
    $("error").hidden = true;
    $("status").textContent = "Working…";
    $("provenance-body").replaceChildren();
    try {
      const answer = await request();
      const rendered = await post("/render", { answer, format: "markdown" });
      const root = $("answer");
      root.replaceChildren(renderMarkdown(rendered.text, answer));
      root.dataset.abstained = String(answer.abstained);
      await drawDiagrams(root);
      $("status").textContent = answer.abstained ? "The sources do not cover this question." : "Answered.";
    } catch (err) {
      $("status").textContent = "";
      $("error").textContent = err.message;
      $("error").hidden = false;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (typeof mermaid !== "undefined") {
      mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "default" });
    }
    $("question-form").addEventListener("submit", (event) => {
      event.preventDefault();
      show(() => post("/answer", { question: $("question").value }));
    });
    $("prompt-form").addEventListener("submit", (event) => {
      event.preventDefault();
      show(() => post("/prompt", { text: $("prompt").value }));
    });
  });
})();
