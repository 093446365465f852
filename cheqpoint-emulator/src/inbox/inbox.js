// The review inbox: lists the requests of GET /emulator/approvals, re-reads them on each event of
// GET /emulator/events (or every 2 s when the event stream fails) and posts decisions. Every value
// that comes from a request is written as text (textContent), never parsed as HTML.
'use strict';

const TOKEN_KEY = 'cheqpoint-review-token';
const POLL_MS = 2000;
const token = reviewToken();

/** Cards on the page by `${id} ${status}`: a card is built once and kept, so that a note or an
 *  edit in progress survives the refreshes around it. */
const cards = new Map();

/** The hash whose card was last scrolled to. */
let scrolledTo = null;

// ---- talking to the emulator ----

/** The reviewer token: from this page's `?token=`, else the one remembered from an earlier visit
 *  (so that a request's reviewUrl, which carries none, opens too). */
function reviewToken() {
  const fromUrl = new URLSearchParams(location.search).get('token');
  try {
    if (fromUrl) localStorage.setItem(TOKEN_KEY, fromUrl);
    return fromUrl || localStorage.getItem(TOKEN_KEY);
  } catch {
    return fromUrl;
  }
}

/** Calls the review API; resolves to the JSON answer, rejects with its `error` message. */
async function api(path, options = {}) {
  const headers = { ...options.headers };
  if (token) headers['x-review-token'] = token;
  const response = await fetch(path, { ...options, headers });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const message = (body && body.error) || response.statusText;
    throw Object.assign(new Error(message), { status: response.status });
  }
  return body;
}

let refreshing = false;
let refreshAgain = false;

/** Re-reads every request and redraws; a call during a refresh runs one more afterwards. */
async function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  try {
    render(await api('/emulator/approvals'));
    showBanner(null);
  } catch (error) {
    showBanner(error.status === 401
      ? 'This inbox needs the emulator’s reviewer token: open the link it printed at start-up (inbox: http://…/?token=…).'
      : `Cannot read the requests: ${error.message}`);
  } finally {
    refreshing = false;
    if (refreshAgain) {
      refreshAgain = false;
      refresh();
    }
  }
}

/** Refreshes on each server-sent event; polls when the event stream fails. */
function listen() {
  if (!window.EventSource) return poll();
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  const events = new EventSource(`/emulator/events${query}`);
  events.onopen = () => setConnection('live', 'Live');
  events.onmessage = refresh;
  events.onerror = () => {
    events.close();
    poll();
  };
}

function poll() {
  setConnection('polling', 'Polling every 2 s');
  refresh();
  setInterval(refresh, POLL_MS);
}

/** Sends a decision for `id`; on failure shows why on the card and enables it again. */
async function decide(card, id, decision) {
  setBusy(card, true);
  try {
    await api(`/emulator/approvals/${encodeURIComponent(id)}/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(decision),
    });
    refresh();
  } catch (error) {
    setBusy(card, false);
    const problem = card.querySelector('.problem');
    problem.textContent = `Not sent: ${error.message}`;
    problem.hidden = false;
  }
}

// ---- the page ----

function render(records) {
  const pending = records.filter((record) => record.status === 'PENDING');
  const decided = records
    .filter((record) => record.status !== 'PENDING')
    .sort((a, b) => String(b.decidedAt).localeCompare(String(a.decidedAt)));
  const shown = new Set();
  place(byId('pending'), pending, pendingCard, shown);
  place(byId('decided'), decided, decidedCard, shown);
  for (const [key, card] of cards) {
    if (!shown.has(key)) {
      card.remove();
      cards.delete(key);
    }
  }
  byId('pending-count').textContent = pending.length;
  byId('decided-count').textContent = decided.length;
  byId('pending-empty').hidden = pending.length > 0;
  byId('decided-empty').hidden = decided.length > 0;
  document.title = `${pending.length ? `(${pending.length}) ` : ''}Review inbox · Cheqpoint emulator`;
  showFocus();
}

/** Puts the cards of `records` into `list` in order, building those not on the page yet. */
function place(list, records, build, shown) {
  records.forEach((record, index) => {
    const key = `${record.id} ${record.status}`;
    shown.add(key);
    let card = cards.get(key);
    if (!card) {
      card = build(record);
      cards.set(key, card);
    }
    if (list.children[index] !== card) list.insertBefore(card, list.children[index] || null);
  });
}

/** Highlights the card named by `#/approvals/{id}`, scrolling to it once per link. */
function showFocus() {
  const match = /^#\/approvals\/(.+)$/.exec(location.hash);
  const id = match ? decodeURIComponent(match[1]) : null;
  let target = null;
  for (const card of cards.values()) {
    const focused = card.dataset.id === id;
    card.classList.toggle('focused', focused);
    if (focused && card.isConnected) target = card;
  }
  if (target && scrolledTo !== location.hash) {
    scrolledTo = location.hash;
    target.scrollIntoView({ block: 'center' });
    target.focus({ preventScroll: true });
  }
}

function pendingCard(record) {
  const card = cardFrame(record, []);
  const details = section('Details', jsonBlock(record.details));
  const trace = traceView(record.trace);
  const problem = node('p', 'problem');
  problem.setAttribute('role', 'alert');
  problem.hidden = true;

  const send = (decision) => decide(card, record.id, decision);
  const approve = button('Approve', 'primary', () => send({ decision: 'approve' }));
  const edit = button('Edit, then approve', null, () => open(editor));
  const reject = button('Reject…', 'danger-outline', () => open(rejecter));
  const actions = node('div', 'actions');
  actions.append(approve, edit, reject, idLink(record));

  const editor = panel({
    label: 'Details — edit the JSON, then approve',
    text: pretty(record.details),
    textClass: 'editor',
    submit: 'Approve with these details',
    submitClass: 'primary',
    onSubmit: (text, fail) => {
      const parsed = parseObject(text);
      if (parsed.error) return fail(parsed.error);
      send({ decision: 'approve', modifiedDetails: parsed.value });
    },
    onClose: close,
  });
  const rejecter = panel({
    label: 'Note for the agent (optional)',
    text: '',
    textClass: 'note',
    submit: 'Reject',
    submitClass: 'danger',
    onSubmit: (text) => send(text.trim() ? { decision: 'reject', note: text.trim() } : { decision: 'reject' }),
    onClose: close,
  });

  /** Shows one panel (the editor takes the place of the details) and hides the buttons. */
  function open(which) {
    actions.hidden = true;
    which.hidden = false;
    details.hidden = which === editor;
    which.querySelector('textarea').focus();
  }
  function close() {
    editor.hidden = true;
    rejecter.hidden = true;
    details.hidden = false;
    actions.hidden = false;
    problem.hidden = true;
  }

  card.append(details);
  if (trace) card.append(trace);
  card.append(editor, rejecter, problem, actions);
  return card;
}

function decidedCard(record) {
  const approved = record.status === 'APPROVED';
  const badges = [node('span', `status status-${approved ? 'approved' : 'rejected'}`, approved ? 'Approved' : 'Rejected')];
  if (record.modifiedDetails) badges.push(node('span', 'chip chip-edited', 'edited'));
  if (record.decisionReasonCode === 'expired') badges.push(node('span', 'chip chip-expired', 'expired'));
  if (record.autoDecided) badges.push(node('span', 'chip chip-rule', 'auto-decided'));
  const card = cardFrame(record, badges);

  const facts = node('dl', 'facts');
  fact(facts, 'Decided', timeText(record.decidedAt), record.decidedAt);
  fact(facts, 'By', decidedBy(record));
  if (record.decisionNote) fact(facts, 'Note', record.decisionNote);
  if (record.decisionReasonCode) fact(facts, 'Reason code', record.decisionReasonCode);
  facts.append(idLink(record));
  card.append(facts);

  if (record.modifiedDetails) {
    const changed = changedKeys(record.details, record.modifiedDetails);
    const title = changed.length ? `Approved with edits · changed: ${changed.join(', ')}` : 'Approved with edits';
    card.append(section(title, jsonBlock(record.modifiedDetails)));
  }
  const original = node('details', 'more');
  original.append(node('summary', null, record.modifiedDetails ? 'Details as sent' : 'Details'), jsonBlock(record.details));
  card.append(original);
  const trace = traceView(record.trace);
  if (trace) {
    trace.open = false;
    card.append(trace);
  }
  return card;
}

function decidedBy(record) {
  if (record.autoDecided) return `rule “${record.autoDecisionRuleName || 'unnamed'}”`;
  return record.decisionReasonCode === 'expired' ? 'expiry: nobody decided in time' : 'a reviewer';
}

/** The part every card shares: badges, action, risk, agent, priority, time, summary, reasoning. */
function cardFrame(record, badges) {
  const card = node('article', 'card');
  card.dataset.id = record.id;
  card.tabIndex = -1;
  const head = node('header', 'card-head');
  head.append(...badges, node('code', 'action', record.action));
  const risk = riskOf(record);
  if (risk) head.append(riskBadge(risk));
  if (record.agentName) head.append(node('span', 'chip', `agent ${record.agentName}`));
  // `normal` is what the service assumes when none is sent: not worth a chip.
  if (record.priority && record.priority !== 'normal') head.append(node('span', `chip priority-${record.priority}`, `${record.priority} priority`));
  const received = node('time', 'when', `received ${timeText(record.createdAt)}`);
  received.dateTime = record.createdAt;
  received.title = record.createdAt;
  head.append(received);
  card.append(head, node('p', 'summary', record.summary));
  if (record.justification) {
    const why = node('p', 'why');
    why.append(node('span', 'label', 'Why'), ' ', record.justification);
    card.append(why);
  }
  return card;
}

// ---- pieces ----

/** `{level, score?}` from `riskScore` (low < 0.4 ≤ medium < 0.7 ≤ high), else `riskLevel`. */
function riskOf(record) {
  if (typeof record.riskScore === 'number') {
    const score = record.riskScore;
    return { level: score < 0.4 ? 'low' : score < 0.7 ? 'medium' : 'high', score };
  }
  return ['low', 'medium', 'high'].includes(record.riskLevel) ? { level: record.riskLevel } : null;
}

function riskBadge({ level, score }) {
  const badge = node('span', `risk risk-${level}`);
  badge.append(node('span', 'dot'), `${level[0].toUpperCase()}${level.slice(1)} risk`);
  if (score !== undefined) badge.append(node('span', 'score', score.toFixed(2)));
  badge.title = score !== undefined ? `risk score ${score} (low < 0.4 ≤ medium < 0.7 ≤ high)` : 'risk level';
  return badge;
}

/** The agent's trace as a list of steps, or null when none was sent. */
function traceView(trace) {
  if (!trace || !Array.isArray(trace.steps) || trace.steps.length === 0) return null;
  const view = node('details', 'trace');
  view.open = true;
  const about = [`Agent trace · ${trace.steps.length} step${trace.steps.length === 1 ? '' : 's'}`];
  if (trace.model) about.push(text(trace.model));
  if (typeof trace.totalTokens === 'number') about.push(`${trace.totalTokens} tokens`);
  view.append(node('summary', null, about.join(' · ')));
  const steps = node('ol', 'steps');
  for (const step of trace.steps) {
    const { type, content, timestamp } = step && typeof step === 'object' ? step : { content: step };
    const known = ['thought', 'tool_call', 'observation'].includes(type) ? type : 'other';
    const item = node('li', 'step');
    item.append(node('span', `step-type step-${known}`, type === undefined ? 'step' : text(type)), node('span', 'step-content', text(content)));
    if (timestamp) {
      const when = node('time', 'when', timeText(timestamp));
      when.title = text(timestamp);
      item.append(when);
    }
    steps.append(item);
  }
  view.append(steps);
  return view;
}

/** A form with a textarea and Submit / Cancel; Ctrl+Enter submits, Escape cancels. */
function panel({ label, text: initial, textClass, submit, submitClass, onSubmit, onClose }) {
  const form = node('form', 'panel');
  form.hidden = true;
  const field = node('label', 'field');
  const area = node('textarea', textClass);
  area.value = initial;
  area.spellcheck = false;
  area.rows = Math.min(Math.max(initial.split('\n').length + 1, 3), 18);
  field.append(node('span', 'label', label), area);
  const error = node('p', 'field-error');
  error.setAttribute('role', 'alert');
  error.hidden = true;
  const fail = (message) => {
    error.textContent = message;
    error.hidden = false;
    area.setAttribute('aria-invalid', 'true');
    area.focus();
  };
  area.addEventListener('input', () => {
    error.hidden = true;
    area.removeAttribute('aria-invalid');
  });
  area.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
    if (event.key === 'Escape') onClose();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onSubmit(area.value, fail);
  });
  const buttons = node('div', 'actions');
  const send = node('button', submitClass, submit);
  send.type = 'submit';
  buttons.append(send, button('Cancel', 'quiet', onClose));
  form.append(field, error, buttons);
  return form;
}

/** `{value}` when `source` is a JSON object, else `{error}` saying why not. */
function parseObject(source) {
  let value;
  try {
    value = JSON.parse(source);
  } catch (error) {
    return { error: `Not valid JSON: ${error.message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { error: 'The details must be a JSON object: { "name": value, … }' };
  }
  return { value };
}

/** The top-level keys whose values differ between two objects. */
function changedKeys(before, after) {
  const keys = new Set([...Object.keys(before || {}), ...Object.keys(after || {})]);
  return [...keys].filter((key) => JSON.stringify((before || {})[key]) !== JSON.stringify((after || {})[key]));
}

/** The request's id, linking to the inbox focused on it. */
function idLink(record) {
  const link = node('a', 'id', record.id);
  link.href = `#/approvals/${encodeURIComponent(record.id)}`;
  link.title = 'Link to this request';
  return link;
}

function section(title, content) {
  const box = node('div', 'block');
  box.append(node('p', 'label', title), content);
  return box;
}

function jsonBlock(value) {
  return node('pre', 'json', pretty(value));
}

function fact(list, term, value, title) {
  const row = node('div', 'fact');
  const description = node('dd', null, value);
  if (title) description.title = title;
  row.append(node('dt', null, term), description);
  list.append(row);
}

function button(label, className, onClick) {
  const element = node('button', className, label);
  element.type = 'button';
  element.addEventListener('click', onClick);
  return element;
}

function setBusy(card, busy) {
  card.classList.toggle('busy', busy);
  for (const control of card.querySelectorAll('button, textarea')) control.disabled = busy;
}

function setConnection(state, label) {
  const status = byId('connection');
  status.dataset.state = state;
  status.textContent = label;
}

function showBanner(message) {
  const banner = byId('banner');
  banner.hidden = !message;
  banner.textContent = message || '';
}

/** An element with a class and text content (a string, or any value shown as JSON). */
function node(tag, className, content) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (content !== undefined && content !== null) element.textContent = text(content);
  return element;
}

function text(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function pretty(value) {
  return JSON.stringify(value, null, 2);
}

/** A time as the reader's clock shows it, with the date when it is not today. */
function timeText(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return text(iso);
  const clock = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return date.toDateString() === new Date().toDateString()
    ? clock
    : `${date.toLocaleDateString([], { month: 'short', day: 'numeric' })}, ${clock}`;
}

function byId(id) {
  return document.getElementById(id);
}

window.addEventListener('hashchange', showFocus);
listen();
