// The attention explorer page: one panel per served model (GET /api/models); typing in the
// input converts with every model (POST /api/convert, debounced) and draws, per panel, the
// output, the attention heatmap (input tokens along x in reading order, output tokens along
// y), the input tokens highlighted by the row under the pointer, a layer/head selector where
// the response has per-head weights, and the beam-search alternatives.
//
// Everything is built with textContent and DOM nodes, never innerHTML: model outputs and
// user input are shown as text, whatever characters they hold.
"use strict";

const DEBOUNCE_MS = 150;
const SPACE = "\u2423"; // an input space, made visible in the labels

const textInput = document.getElementById("text");
const searchSelect = document.getElementById("search");
const statusLine = document.getElementById("status");
const panels = [];

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function shown(token) {
  return token === " " ? SPACE : token;
}

function shade(weight) {
  return `rgba(37, 99, 235, ${weight.toFixed(3)})`;
}

function meanOverHeads(heads) {
  return heads[0].map((row, i) => row.map((_, j) =>
    heads.reduce((sum, head) => sum + head[i][j], 0) / heads.length));
}

// The matrix a panel shows and the labels of its rows and columns, for the chosen view:
// the model's own attention, or one layer and head (or their mean) of a Transformer's
// encoder self-attention, decoder self-attention or cross-attention.
function chosenView(panel) {
  const r = panel.result;
  const kind = panel.node.querySelector(".head-kind").value;
  if (!r.heads || kind === "model") {
    return {matrix: r.attention, rows: r.outputs, cols: r.inputs, rowsAreOutputs: true};
  }
  const layer = Number(panel.node.querySelector(".head-layer").value);
  const head = panel.node.querySelector(".head-index").value;
  const heads = r.heads[kind][layer];
  const matrix = head === "mean" ? meanOverHeads(heads) : heads[Number(head)];
  const ins = r.heads.inputs, outs = r.heads.outputs;
  // The decoder attends over its own inputs: the start token, then the outputs so far.
  const cols = {encoder: ins, cross: ins, decoder: ["<s>", ...outs]}[kind];
  const rows = kind === "encoder" ? ins : outs;
  return {matrix, rows, cols: cols.slice(0, matrix[0] ? matrix[0].length : 0),
          rowsAreOutputs: kind !== "encoder"};
}

function fillSelect(select, options) {
  const keep = select.value;
  select.replaceChildren(...options.map(([value, label]) => {
    const option = el("option", "", label);
    option.value = value;
    return option;
  }));
  if (options.some(([value]) => value === keep)) select.value = keep;
}

function drawHeadControls(panel) {
  const heads = panel.result.heads;
  const box = panel.node.querySelector(".heads");
  box.hidden = !heads;
  if (!heads) return;
  const kinds = [["model", "model's attention"], ["cross", "cross-attention"],
                 ["encoder", "encoder self-attention"], ["decoder", "decoder self-attention"]];
  fillSelect(box.querySelector(".head-kind"), kinds.filter(([k]) => k === "model"
    ? panel.result.attention !== null : heads[k].length > 0));
  const kind = box.querySelector(".head-kind").value;
  const layers = kind === "model" ? [] : heads[kind];
  fillSelect(box.querySelector(".head-layer"), layers.map((_, i) => [String(i), String(i + 1)]));
  const count = layers.length ? layers[0].length : 0;
  fillSelect(box.querySelector(".head-index"), [["mean", "mean"],
    ...Array.from({length: count}, (_, i) => [String(i), String(i + 1)])]);
  box.querySelector(".head-layer").disabled = kind === "model";
  box.querySelector(".head-index").disabled = kind === "model";
}

// The heatmap: a grid of one corner, a column label per column, then per row its label and
// one cell per column, shaded by the weight.
function drawHeatmap(panel) {
  const view = chosenView(panel);
  panel.view = view;
  const map = panel.node.querySelector(".heatmap");
  const strip = panel.node.querySelector(".strip");
  panel.node.querySelector(".no-attention").hidden = view.matrix !== null;
  panel.node.querySelector(".strip-line").hidden = view.matrix === null;
  map.replaceChildren();
  strip.replaceChildren();
  if (view.matrix === null) return;
  map.style.gridTemplateColumns = `auto repeat(${view.cols.length}, 1.5em)`;
  map.append(el("span", "corner"));
  view.cols.forEach((token) => map.append(el("span", "col-label", shown(token))));
  view.matrix.forEach((weights, i) => {
    const label = el("span", "row-label", shown(view.rows[i]));
    label.dataset.row = i;
    map.append(label);
    weights.forEach((w, j) => {
      const cell = el("span", "cell");
      cell.dataset.row = i;
      cell.dataset.col = j;
      cell.style.backgroundColor = shade(w);
      cell.title = `${shown(view.rows[i])} \u2190 ${shown(view.cols[j])}: ${w.toFixed(4)}`;
      map.append(cell);
    });
  });
  view.cols.forEach((token, j) => {
    const span = el("span", "in-char", shown(token));
    span.dataset.col = j;
    strip.append(span);
  });
}

// Row i under the pointer: its cells outlined, its label and output character marked, and the
// column tokens shaded by its weights, the largest marked as the peak.
function highlight(panel, row) {
  const node = panel.node;
  node.querySelectorAll(".active").forEach((n) => n.classList.remove("active"));
  node.querySelectorAll(".in-char").forEach((span) => {
    span.classList.remove("peak");
    span.style.backgroundColor = "";
    delete span.dataset.weight;
  });
  if (row === null || !panel.view || panel.view.matrix === null) return;
  const weights = panel.view.matrix[row];
  if (!weights) return;
  node.querySelectorAll(`[data-row="${row}"]`).forEach((n) => n.classList.add("active"));
  const peak = weights.indexOf(Math.max(...weights));
  node.querySelectorAll(".in-char").forEach((span, j) => {
    span.style.backgroundColor = shade(weights[j]);
    span.dataset.weight = weights[j].toFixed(4);
    span.classList.toggle("peak", j === peak);
  });
}

function drawOutput(panel) {
  const r = panel.result;
  const output = panel.node.querySelector(".output");
  output.replaceChildren(...r.outputs.map((token, i) => {
    const span = el("span", "out-char", shown(token));
    span.dataset.row = i;
    return span;
  }));
  output.dataset.text = r.output;
  const list = panel.node.querySelector(".alternatives");
  list.hidden = !r.alternatives;
  list.replaceChildren(...(r.alternatives || []).map((alt) => {
    const item = el("li");
    item.append(el("span", "alt-output", alt.output), el("span", "alt-score",
      `log p ${alt.score.toFixed(4)}`));
    return item;
  }));
}

function showError(panel, message) {
  const error = panel.node.querySelector(".error");
  error.textContent = message;
  error.hidden = false;
  panel.node.querySelector(".result").hidden = true;
  panel.node.dataset.state = "error";
}

function showResult(panel, result, millis) {
  panel.result = result;
  panel.node.querySelector(".error").hidden = true;
  panel.node.querySelector(".result").hidden = false;
  panel.node.querySelector(".timing").textContent = `${Math.round(millis)} ms`;
  drawOutput(panel);
  drawHeadControls(panel);
  drawHeatmap(panel);
  panel.node.dataset.text = result.text;
  panel.node.dataset.state = "ready";
}

async function convert(panel, text, beam) {
  const ticket = ++panel.ticket; // a later request makes this one's answer stale
  panel.node.dataset.state = "loading";
  const body = {text, model: panel.name};
  if (beam > 0) body.beam = beam;
  const started = performance.now();
  let response, doc;
  try {
    response = await fetch("/api/convert", {method: "POST", body: JSON.stringify(body),
      headers: {"Content-Type": "application/json"}});
    doc = await response.json();
  } catch (err) {
    if (ticket === panel.ticket) showError(panel, `cannot reach the server (${err.message})`);
    return;
  }
  if (ticket !== panel.ticket) return;
  if (!response.ok) showError(panel, doc.error || `the server answered ${response.status}`);
  else showResult(panel, doc, performance.now() - started);
}

function convertAll() {
  const beam = Number(searchSelect.value);
  panels.forEach((panel) => convert(panel, textInput.value, beam));
}

function makePanel(model) {
  const node = document.getElementById("panel-template").content.firstElementChild
    .cloneNode(true);
  node.dataset.model = model.name;
  node.querySelector(".name").textContent = model.name;
  node.querySelector(".about").textContent =
    `${model.model} \u00b7 ${model.level} \u00b7 at most ${model.max_length} ` +
    (model.level === "char" ? "characters" : "words");
  const panel = {name: model.name, node, ticket: 0, result: null, view: null};
  const rowOf = (event) => {
    const target = event.target.closest("[data-row]");
    return target ? Number(target.dataset.row) : null;
  };
  node.querySelector(".heatmap").addEventListener("mouseover",
    (event) => highlight(panel, rowOf(event)));
  node.querySelector(".output").addEventListener("mouseover", (event) => {
    if (panel.view && panel.view.rowsAreOutputs) highlight(panel, rowOf(event));
  });
  node.querySelectorAll(".heads select").forEach((select) => select.addEventListener(
    "change", () => { drawHeadControls(panel); drawHeatmap(panel); }));
  return panel;
}

async function start() {
  document.getElementById("controls").addEventListener("submit", (e) => e.preventDefault());
  let models;
  try {
    const response = await fetch("/api/models");
    models = (await response.json()).models;
  } catch (err) {
    statusLine.textContent = `cannot reach the server (${err.message})`;
    return;
  }
  const main = document.getElementById("panels");
  models.forEach((model) => {
    const panel = makePanel(model);
    panels.push(panel);
    main.append(panel.node);
  });
  statusLine.textContent = `${models.length} model${models.length === 1 ? "" : "s"} served`;
  let timer = null;
  textInput.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(convertAll, DEBOUNCE_MS);
  });
  searchSelect.addEventListener("change", convertAll);
  convertAll();
}

start();
