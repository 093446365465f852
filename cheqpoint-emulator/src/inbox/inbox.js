// The review inbox: lists the requests of GET /emulator/approvals, re-reads them on each event of
// GET /emulator/events (polling every 2 s while the stream is down, and reconnecting with backoff)
// and posts decisions. Every value that comes from a request is written as text (textContent),
// never parsed as HTML.
'use strict';

const TOKEN_KEY = 'cheqpoint-review-token';
const POLL_MS = 2000;
/** The event stream is tried again after 0.5 s, 1 s, 2 s, … up to 15 s, with jitter. */
const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 15000;
/** An expiry closer than this is shown as urgent. */
const EXPIRY_SOON_MS = 5 * 60 * 1000;
const token = reviewToken();

/** Cards on the page by `${id} ${status}`: a card is built once and kept, so that a note or an
 *  edit in progress survives the refreshes around it. */
const cards = new Map();

/** What each pending card can do from the keyboard: `{approve, edit, reject}`. */
const shortcuts = new WeakMap();

/** The lower-case text a decided card is searched by. */
const searchText = new WeakMap();

/** The hash whose card was last scrolled to. */
let scrolledTo = null;

/** False until the first list is drawn: requests already there are not announced. */
let drawn = false;

// ---- talking to the emulator ----

/** The reviewer token: from this page's `?token=` (then taken out of the address bar, so that it
 *  does not stay in the history or leak through a copied link), else the one remembered from an
 *  earlier visit (so that a request's reviewUrl, which carries none, opens too). */
function reviewToken() {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) {
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  }
  try {
    if (fromUrl) localStorage.setItem(TOKEN_KEY, fromUrl);
    return fromUrl || localStorage.getItem(TOKEN_KEY);
  } catch {
    return fromUrl;
  }
}

/** Calls the review API with the token in a header; resolves to the JSON answer, rejects with
 *  its `error` message. */
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

let reconnects = 0;
let pollTimer = null;

/** Refreshes on each server-sent event. When the stream drops (the emulator restarted or
 *  stopped), polls meanwhile and opens it again after a growing pause. The stream takes the
 *  token in its query: `EventSource` cannot send headers. */
function listen() {
  if (!window.EventSource) {
    setConnection('polling', 'Polling every 2 s');
    return startPolling();
  }
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  const events = new EventSource(`/emulator/events${query}`);
  events.onopen = () => {
    reconnects = 0;
    stopPolling();
    setConnection('live', 'Live');
  };
  events.onmessage = refresh;
  events.onerror = () => {
    events.close();
    startPolling();
    const pause = Math.min(RECONNECT_FIRST_MS * 2 ** reconnects, RECONNECT_MAX_MS);
    reconnects += 1;
    setConnection('reconnecting', 'Reconnecting…');
    setTimeout(listen, pause * (0.5 + Math.random() / 2));
  };
}

function startPolling() {
  if (pollTimer !== null) return;
  refresh();
  pollTimer = setInterval(refresh, POLL_MS);
}

function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = null;
}

/** Sends a decision for the pending `card`; on success moves the selection to the next pending
 *  card, on failure shows why on the card and enables it again. */
async function decide(card, id, decision) {
  const next = card.nextElementSibling || card.previousElementSibling;
  setBusy(card, true);
  try {
    await api(`/emulator/approvals/${encodeURIComponent(id)}/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(decision),
    });
    if (card.contains(document.activeElement) || card.classList.contains('selected')) select(next);
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
  // Cards that went are taken out first, so that those staying are not moved: moving an
  // element takes the focus off it.
  const keep = new Set(records.map(cardKey));
  for (const [key, card] of cards) {
    if (!keep.has(key)) {
      card.remove();
      cards.delete(key);
    }
  }
  const focused = document.activeElement;
  const arrived = place(byId('pending'), pending, pendingCard);
  place(byId('decided'), decided, decidedCard);
  if (focused !== document.activeElement && focused.isConnected) focused.focus({ preventScroll: true });
  for (const record of decided) showDelivery(cards.get(cardKey(record)), record);
  if (drawn) announce(arrived);
  drawn = true;
  byId('pending-count').textContent = pending.length;
  byId('decided-count').textContent = decided.length;
  byId('pending-empty').hidden = pending.length > 0;
  byId('decided-empty').hidden = decided.length > 0;
  document.title = `${pending.length ? `(${pending.length}) ` : ''}Review inbox · Cheqpoint emulator`;
  listActions(decided);
  filterHistory();
  tickExpiries();
  showFocus();
}

/** Puts the cards of `records` into `list` in order, building those not on the page yet; gives
 *  the records whose card was new. */
function place(list, records, build) {
  const built = [];
  records.forEach((record, index) => {
    const key = cardKey(record);
    let card = cards.get(key);
    if (!card) {
      card = build(record);
      cards.set(key, card);
      built.push(record);
    }
    if (list.children[index] !== card) list.insertBefore(card, list.children[index] || null);
  });
  return built;
}

function cardKey(record) {
  return `${record.id} ${record.status}`;
}

/** Tells screen readers about requests that arrived since the last draw. */
function announce(records) {
  if (records.length === 0) return;
  byId('announcer').textContent = records.length === 1
    ? `New request: ${text(records[0].action)}: ${text(records[0].summary)}`
    : `${records.length} new requests`;
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
    select(target);
  }
}

function pendingCard(record) {
  const card = cardFrame(record, []);
  const risk = riskOf(record);
  const highRisk = risk !== null && risk.level === 'high';
  const details = section('Details', jsonBlock(record.details));
  const trace = traceView(record.trace);
  const problem = node('p', 'problem');
  problem.setAttribute('role', 'alert');
  problem.hidden = true;

  const send = (decision) => decide(card, record.id, decision);
  const approveNow = () => (highRisk ? open(approver) : send({ decision: 'approve' }));
  const openEditor = () => open(editor);
  const openRejecter = () => open(rejecter);
  const approve = button(highRisk ? 'Approve…' : 'Approve', 'primary', approveNow);
  const actions = node('div', 'actions');
  actions.append(approve);
  if (!highRisk) actions.append(button('Approve with a note…', null, () => open(approver)));
  actions.append(button('Edit, then approve', null, openEditor), button('Reject…', 'danger-outline', openRejecter), idLink(record));

  const approver = decisionPanel({
    warning: highRisk ? 'High risk: read the details and the trace, then confirm.' : null,
    submit: highRisk ? 'Confirm approval' : 'Approve',
    submitClass: 'primary',
    onSubmit: (reply) => send({ decision: 'approve', ...reply }),
    onClose: close,
  });
  const editor = decisionPanel({
    details: record.details,
    warning: highRisk ? 'High risk: sending approves the request with these details.' : null,
    submit: 'Approve with these details',
    submitClass: 'primary',
    onSubmit: (reply) => send({ decision: 'approve', ...reply }),
    onClose: close,
  });
  const rejecter = decisionPanel({
    submit: 'Reject',
    submitClass: 'danger',
    onSubmit: (reply) => send({ decision: 'reject', ...reply }),
    onClose: close,
  });

  /** Shows one panel (the editor takes the place of the details) and hides the buttons. */
  function open(which) {
    if (card.classList.contains('busy')) return;
    actions.hidden = true;
    for (const panel of [approver, editor, rejecter]) panel.hidden = panel !== which;
    details.hidden = which === editor;
    which.querySelector('textarea').focus();
  }
  function close() {
    editor.hidden = true;
    approver.hidden = true;
    rejecter.hidden = true;
    details.hidden = false;
    actions.hidden = false;
    problem.hidden = true;
    card.focus();
  }

  shortcuts.set(card, { approve: approveNow, edit: openEditor, reject: openRejecter });
  card.append(details);
  const metadata = metadataView(record.metadata);
  if (metadata) card.append(metadata);
  if (trace) card.append(trace);
  card.append(approver, editor, rejecter, problem, actions);
  return card;
}

function decidedCard(record) {
  const approved = record.status === 'APPROVED';
  const badges = [node('span', `status status-${approved ? 'approved' : 'rejected'}`, approved ? 'Approved' : 'Rejected')];
  if (record.modifiedDetails) badges.push(node('span', 'chip chip-edited', 'edited'));
  if (record.decisionReasonCode === 'expired') badges.push(node('span', 'chip chip-expired', 'expired'));
  if (record.autoDecided) badges.push(node('span', 'chip chip-rule', 'auto-decided'));
  const card = cardFrame(record, badges);
  card.dataset.status = record.status;
  card.dataset.action = text(record.action);

  const facts = node('dl', 'facts');
  fact(facts, 'Decided', timeText(record.decidedAt), record.decidedAt);
  fact(facts, 'By', decidedBy(record));
  if (record.decisionNote) fact(facts, 'Note', record.decisionNote);
  if (record.decisionReasonCode) fact(facts, 'Reason code', record.decisionReasonCode);
  facts.append(idLink(record));
  card.append(facts);
  const delivery = node('p', 'delivery');
  delivery.hidden = true;
  card.append(delivery);

  if (record.modifiedDetails) {
    const edits = node('div', 'block');
    edits.append(node('p', 'label', 'Approved with edits'), diffView(changes(record.details, record.modifiedDetails)));
    card.append(edits, more('Details as approved', record.modifiedDetails));
  }
  card.append(more(record.modifiedDetails ? 'Details as sent' : 'Details', record.details));
  const metadata = metadataView(record.metadata);
  if (metadata) card.append(metadata);
  const trace = traceView(record.trace);
  if (trace) {
    trace.open = false;
    card.append(trace);
  }
  searchText.set(card, [record.id, record.action, record.summary, record.justification, record.agentName,
    record.decisionNote, record.decisionReasonCode, record.details, record.modifiedDetails, record.metadata]
    .filter((value) => value !== undefined && value !== null)
    .map(text)
    .join('\n')
    .toLowerCase());
  return card;
}

function decidedBy(record) {
  if (record.autoDecided) return `rule “${record.autoDecisionRuleName || 'unnamed'}”`;
  return record.decisionReasonCode === 'expired' ? 'expiry: nobody decided in time' : 'a reviewer';
}

/** Shows on a decided card what became of its callback: `record.callbackDelivery`, when the
 *  request named a callback URL. Updated on each refresh, as a delivery ends after the decision. */
function showDelivery(card, record) {
  const line = card.querySelector('.delivery');
  const delivery = record.callbackDelivery;
  line.hidden = !record.callbackUrl;
  if (line.hidden) return;
  let state = 'waiting';
  let outcome = 'sending…';
  if (delivery && typeof delivery.statusCode === 'number') {
    state = delivery.statusCode >= 200 && delivery.statusCode < 300 ? 'ok' : 'failed';
    outcome = `answered ${delivery.statusCode}`;
  } else if (delivery && delivery.error) {
    state = 'failed';
    outcome = `failed: ${text(delivery.error)}`;
  }
  if (delivery && delivery.attempts > 1) outcome += ` after ${delivery.attempts} attempts`;
  line.dataset.state = state;
  line.replaceChildren(node('span', 'label', 'Callback'), ' ', node('code', 'url', record.callbackUrl), ' ', node('span', 'outcome', outcome));
}

/** The part every card shares: badges, action, risk, agent, priority, times, summary, reasoning. */
function cardFrame(record, badges) {
  const card = node('article', 'card');
  card.dataset.id = record.id;
  card.tabIndex = -1;
  card.addEventListener('focusin', () => markSelected(card));
  const head = node('header', 'card-head');
  head.append(...badges, node('code', 'action', record.action));
  const risk = riskOf(record);
  if (risk) head.append(riskBadge(risk));
  if (record.agentName) head.append(node('span', 'chip', `agent ${text(record.agentName)}`));
  // `normal` is what the service assumes when none is sent: not worth a chip.
  if (record.priority && record.priority !== 'normal') head.append(node('span', `chip priority-${record.priority}`, `${text(record.priority)} priority`));
  const times = node('span', 'times');
  const received = node('time', 'when', `received ${timeText(record.createdAt)}`);
  received.dateTime = record.createdAt;
  received.title = record.createdAt;
  times.append(received);
  if (record.status === 'PENDING' && record.expiresAt) {
    const expires = node('time', 'expires');
    expires.dateTime = record.expiresAt;
    expires.title = `expires ${text(record.expiresAt)}`;
    times.append(expires);
  }
  head.append(times);
  card.append(head, node('p', 'summary', record.summary));
  const grant = grantLines(record);
  if (grant.length) {
    const box = node('div', 'grant');
    box.append(...grant.map((line, i) => node(i === 0 ? 'strong' : 'p', null, line)));
    card.append(box);
  }
  if (record.justification) {
    const why = node('p', 'why');
    why.append(node('span', 'label', 'Why'), ' ', text(record.justification));
    card.append(why);
  }
  return card;
}

// ---- the keyboard ----

/** `j`/`k` move between the cards shown, `a`/`e`/`r` act on the selected pending one, `?` shows
 *  the help. Keys typed into a form are left alone. */
function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  if (event.target.closest('input, textarea, select, [contenteditable]')) return;
  const help = byId('help');
  if (event.key === '?') {
    event.preventDefault();
    toggleHelp();
    return;
  }
  if (help.open) return;
  const selected = selectedCard();
  const actions = selected && shortcuts.get(selected);
  const act = { a: 'approve', e: 'edit', r: 'reject' }[event.key];
  if (event.key === 'j' || event.key === 'k') {
    event.preventDefault();
    move(event.key === 'j' ? 1 : -1);
  } else if (act && actions && !selected.querySelector('form:not([hidden])')) {
    event.preventDefault();
    actions[act]();
  }
}

/** Selects the card `step` places after (or before) the selected one among those shown. */
function move(step) {
  const shown = [...document.querySelectorAll('.card')].filter((card) => !card.hidden);
  if (shown.length === 0) return;
  const at = shown.indexOf(selectedCard());
  const next = at === -1 ? (step > 0 ? 0 : shown.length - 1) : Math.min(Math.max(at + step, 0), shown.length - 1);
  select(shown[next]);
}

function selectedCard() {
  const card = document.querySelector('.card.selected');
  return card && card.isConnected ? card : null;
}

/** Marks `card` selected, focuses it and brings it into view. */
function select(card) {
  if (!card || !card.isConnected) return;
  card.focus({ preventScroll: true });
  card.scrollIntoView({ block: 'nearest' });
}

function markSelected(card) {
  for (const other of document.querySelectorAll('.card.selected')) other.classList.toggle('selected', other === card);
  card.classList.add('selected');
}

function toggleHelp() {
  const help = byId('help');
  if (help.open) help.close();
  else help.showModal();
}

// ---- the history filter ----

/** Offers in the action filter each action of the decided requests, keeping the choice made;
 *  left alone while they are the same, so that a refresh does not close the open list. */
function listActions(decided) {
  const select = byId('filter-action');
  const actions = [...new Set(decided.map((record) => text(record.action)))].sort();
  const chosen = select.value;
  if (chosen && !actions.includes(chosen)) actions.push(chosen);
  const offered = [...select.options].slice(1).map((option) => option.value);
  if (JSON.stringify(offered) === JSON.stringify(actions)) return;
  const options = ['', ...actions].map((action) => {
    const option = node('option', null, action || 'Any action');
    option.value = action;
    return option;
  });
  select.replaceChildren(...options);
  select.value = chosen;
}

/** Shows only the decided cards that match the status, the action and every word searched. */
function filterHistory() {
  const status = byId('filter-status').value;
  const action = byId('filter-action').value;
  const words = byId('filter-search').value.toLowerCase().split(/\s+/).filter(Boolean);
  const list = byId('decided');
  let matching = 0;
  for (const card of list.children) {
    const haystack = searchText.get(card) || '';
    card.hidden = (status && card.dataset.status !== status)
      || (action && card.dataset.action !== action)
      || !words.every((word) => haystack.includes(word));
    if (!card.hidden) matching += 1;
  }
  const total = list.children.length;
  byId('decided-none-match').hidden = total === 0 || matching > 0;
  byId('decided-count').textContent = matching === total ? total : `${matching} of ${total}`;
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

/** The request's metadata as name–value pairs, or null when none was sent. */
function metadataView(metadata) {
  if (!metadata || typeof metadata !== 'object' || Object.keys(metadata).length === 0) return null;
  const list = node('dl', 'metadata');
  for (const [key, value] of Object.entries(metadata)) {
    const row = node('div', 'meta');
    row.append(node('dt', null, key), node('dd', null, value));
    list.append(row);
  }
  const box = node('div', 'block');
  box.append(node('p', 'label', 'Metadata'), list);
  return box;
}

/**
 * A form deciding a request: with `details`, an editor of them with the changes shown as they are
 * typed and a Reset; then a note and a reason code, both optional. Ctrl+Enter submits, Escape
 * cancels. `onSubmit` gets `{modifiedDetails?, note?, reasonCode?}`.
 */
function decisionPanel({ details, warning, submit, submitClass, onSubmit, onClose }) {
  const form = node('form', 'panel');
  form.hidden = true;
  if (warning) form.append(node('p', 'warning', warning));
  const editor = details === undefined ? null : detailsEditor(details);
  if (editor) form.append(editor.view);

  const note = textArea('note', '');
  note.rows = 2;
  const reason = node('input', 'reason');
  reason.type = 'text';
  reason.placeholder = 'e.g. verified_with_customer';
  reason.autocomplete = 'off';
  reason.spellcheck = false;
  const noteField = node('label', 'field');
  noteField.append(node('span', 'label', 'Note for the agent (optional)'), note);
  const reasonField = node('label', 'field field-reason');
  reasonField.append(node('span', 'label', 'Reason code (optional)'), reason);
  const notes = node('div', 'note-fields');
  notes.append(noteField, reasonField);
  form.append(notes);

  form.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
    if (event.key === 'Escape') {
      event.preventDefault();
      onClose();
    }
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const reply = {};
    if (editor) {
      const edited = editor.read();
      if (edited === null) return;
      reply.modifiedDetails = edited;
    }
    if (note.value.trim()) reply.note = note.value.trim();
    if (reason.value.trim()) reply.reasonCode = reason.value.trim();
    onSubmit(reply);
  });
  const buttons = node('div', 'actions');
  const send = node('button', submitClass, submit);
  send.type = 'submit';
  buttons.append(send, button('Cancel', 'quiet', onClose));
  form.append(buttons);
  return form;
}

/** A JSON editor of `details` with a Reset, showing each changed field as it is typed:
 *  `{view, read}`, where `read()` gives the edited object, or null after saying why it is not one. */
function detailsEditor(details) {
  const area = textArea('editor', pretty(details));
  const error = node('p', 'field-error');
  error.setAttribute('role', 'alert');
  error.hidden = true;
  const diff = node('div', 'diff-preview');
  const showChanges = () => {
    const parsed = parseObject(area.value);
    diff.replaceChildren(node('p', 'label', 'Changes'), parsed.error ? node('p', 'muted', 'Waiting for valid JSON…') : diffView(changes(details, parsed.value)));
  };
  area.addEventListener('input', () => {
    error.hidden = true;
    area.removeAttribute('aria-invalid');
    showChanges();
  });
  const reset = button('Reset', 'quiet', () => {
    area.value = pretty(details);
    area.dispatchEvent(new Event('input'));
    area.focus();
  });
  const head = node('div', 'field-head');
  head.append(node('span', 'label', 'Details — edit the JSON'), reset);
  const field = node('label', 'field');
  field.append(area);
  const view = node('div', 'details-editor');
  view.append(head, field, error, diff);
  showChanges();

  function read() {
    const parsed = parseObject(area.value);
    if (!parsed.error) return parsed.value;
    error.textContent = parsed.error;
    error.hidden = false;
    area.setAttribute('aria-invalid', 'true');
    area.focus();
    return null;
  }
  return { view, read };
}

function textArea(className, initial) {
  const area = node('textarea', className);
  area.value = initial;
  area.spellcheck = false;
  area.rows = Math.min(Math.max(initial.split('\n').length + 1, 3), 18);
  return area;
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

/** The top-level fields whose values differ, each `{key, before, after}` (`undefined` when absent). */
function changes(before, after) {
  const was = before || {};
  const now = after || {};
  const keys = new Set([...Object.keys(was), ...Object.keys(now)]);
  return [...keys]
    .filter((key) => JSON.stringify(was[key]) !== JSON.stringify(now[key]))
    .map((key) => ({ key, before: was[key], after: now[key] }));
}

/** Each changed field as `name: before → after`. */
function diffView(changed) {
  if (changed.length === 0) return node('p', 'muted', 'No field changed.');
  const list = node('ul', 'diff');
  for (const { key, before, after } of changed) {
    const row = node('li', 'change');
    row.append(
      node('code', 'field-name', `${key}:`),
      before === undefined ? node('span', 'absent', 'added') : node('del', null, JSON.stringify(before)),
      node('span', 'arrow', '→'),
      after === undefined ? node('span', 'absent', 'removed') : node('ins', null, JSON.stringify(after)),
    );
    list.append(row);
  }
  return list;
}

/** A request's id, linking to the inbox focused on it. */
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

/** A folded JSON block. */
function more(title, value) {
  const box = node('details', 'more');
  box.append(node('summary', null, title), jsonBlock(value));
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
  for (const control of card.querySelectorAll('button, textarea, input')) control.disabled = busy;
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

/** Writes how long each pending request has left before it expires. */
function tickExpiries() {
  for (const clock of document.querySelectorAll('time.expires')) {
    const left = new Date(clock.dateTime).getTime() - Date.now();
    if (Number.isNaN(left)) continue;
    clock.textContent = left > 0 ? `expires in ${duration(left)}` : 'expiring…';
    clock.classList.toggle('soon', left < EXPIRY_SOON_MS);
  }
}

/** `2 d 3 h`, `3 h 12 min`, `12 min 5 s` or `5 s`: the two largest units. */
function duration(ms) {
  const seconds = Math.floor(ms / 1000);
  const parts = [[Math.floor(seconds / 86400), 'd'], [Math.floor(seconds / 3600) % 24, 'h'], [Math.floor(seconds / 60) % 60, 'min'], [seconds % 60, 's']];
  const first = parts.findIndex(([count]) => count > 0);
  if (first === -1) return '0 s';
  return parts.slice(first, first + 2).filter(([count]) => count > 0).map(([count, unit]) => `${count} ${unit}`).join(' ');
}

/** An element with a class and text content (a string, or any value shown as JSON). */
/** A grant request (action `grant:TOOL`) in words: what it lets run with nobody asked, for how
 *  long, how often, for whom, and how an edit narrows it. None for another request. */
function grantLines(record) {
  const action = text(record.action);
  if (!action.startsWith('grant:')) return [];
  const details = record.details || {};
  const lines = [`A grant: approving lets ${action.slice(6)} run the calls below with nobody asked`];
  if (Array.isArray(details.command)) lines.push(`commands: ${details.command.map((p) => `\`${text(p)}\``).join(' or ')}`);
  if (details.path) lines.push(`paths: ${JSON.stringify(details.path)}`);
  if (details.where) lines.push(`arguments: ${JSON.stringify(details.where)}`);
  if (!details.command && !details.path && !details.where) lines.push('every call of the tool, whatever its arguments');
  const seconds = Number(details.for_seconds) || 0;
  const span = seconds % 3600 === 0 && seconds ? `${seconds / 3600} h` : seconds % 60 === 0 && seconds ? `${seconds / 60} min` : `${seconds} s`;
  const scope = typeof details.scope === 'string' ? details.scope
    : Object.entries(details.scope || {}).map(([kind, name]) => `${kind} ${text(name)}`).join(', ');
  lines.push(`for ${span}, at most ${Number(details.uses) || 0} uses, ${scope}`);
  lines.push('To narrow it, edit: fewer uses, a smaller for_seconds, fewer or longer command patterns, tighter path or where, a narrower scope. A wider edit grants nothing.');
  return lines;
}

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
document.addEventListener('keydown', onKey);
byId('help-open').addEventListener('click', toggleHelp);
for (const id of ['filter-status', 'filter-action', 'filter-search']) {
  byId(id).addEventListener('input', filterHistory);
  byId(id).addEventListener('change', filterHistory);
}
setInterval(tickExpiries, 1000);
listen();
