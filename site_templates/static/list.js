// The full list: loads releases.json once, then filters, searches, sorts and pages in the browser.
// The whole view lives in the URL query string so a filtered view can be shared and back/forward work.
// Discogs text is untrusted: rows are built from DOM text nodes, never from HTML strings.
"use strict";

(function () {
  const PER_PAGE = { "": 25, covers: 48 };  // rows, and the cover wall
  // The selects: each counts its options and narrows the others; each can be turned round ("exclude").
  const FILTERS = ["genre", "style", "format", "detail", "decade", "rating"];
  // Filters matched by rule rather than picked from a list (typed, or opened by the dashboard's charts).
  const LINKED = { artist: "Artist", label: "Label", year: "Original year", from: "From year", to: "To year",
                   until: "Added by the end of" };
  const DEFAULTS = { q: "", sort: "added", page: 1, pick: "", view: "", open: "", except: "", years: "",
                     ...Object.fromEntries(FILTERS.map((name) => [name, ""])),
                     ...Object.fromEntries(Object.keys(LINKED).map((name) => [name, ""])) };
  // Every sort in both directions; unknown years and unrated items go last either way.
  const ORDER_NAMES = {
    added: "newest first", "added-asc": "oldest added first", artist: "by artist (A–Z)", "artist-desc": "by artist (Z–A)",
    title: "by title (A–Z)", "title-desc": "by title (Z–A)", year: "oldest first (original year)",
    "year-desc": "newest first (original year)", pressing: "oldest pressing first", "pressing-desc": "newest pressing first",
    label: "by label and catalogue number", "label-desc": "by label and catalogue number (Z–A)",
    rating: "highest rated first", "rating-asc": "lowest rated first",
  };
  const SORTS = Object.keys(ORDER_NAMES);
  const form = document.getElementById("filters");
  const list = document.getElementById("releases");
  const status = document.getElementById("status");
  const count = document.querySelector('[data-testid="result-count"]');
  const pages = document.getElementById("pages");
  const pageLabel = document.getElementById("page-label");
  const pick = document.getElementById("pick");
  const randomButton = document.getElementById("random");
  const resetButton = document.getElementById("reset");
  const ordering = document.getElementById("ordering");
  const chips = document.getElementById("chips");
  const views = document.getElementById("views");
  const toggle = document.getElementById("filters-toggle");
  const viewer = document.getElementById("release-view");
  const covers = window.siteCovers;
  const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });
  const numbers = new Intl.NumberFormat();
  let records = [];
  const copiesOf = new Map();  // release id -> copies in the collection
  const byInstance = new Map();
  const byDecade = (a, b) => parseInt(a, 10) - parseInt(b, 10);
  const knownValues = { artist: null, label: null };
  function known(name) {  // every artist or label in the collection, gathered at first use
    if (!knownValues[name]) {
      knownValues[name] = new Set(records.flatMap((r) => (name === "artist" ? r.artists : r.labels)));
    }
    return knownValues[name];
  }
  let largeCovers = null;  // covers.json, loaded when the first cover is opened
  let orders = {};
  let state = { ...DEFAULTS };

  // Case- and accent-insensitive: "Björk" and "BJORK" both become "bjork".
  const fold = (text) => text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  // Punctuation-blind too: "What's" is found by "whats"; apostrophes and dots vanish, other marks part words.
  const words = (text) => fold(text).replace(/['’.]/g, "").replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  // Spacing-blind for catalogue numbers: "SWCO 1762" and "SWCO-1762" are both "swco1762".
  const compact = (text) => words(text).replace(/ /g, "");

  function readState() {
    const params = new URLSearchParams(window.location.search);
    const read = { ...DEFAULTS };
    for (const key of ["q", ...FILTERS, ...Object.keys(LINKED)]) read[key] = params.get(key) || "";
    read.sort = SORTS.includes(params.get("sort")) ? params.get("sort") : DEFAULTS.sort;
    const page = parseInt(params.get("page") || "1", 10);
    read.page = Number.isFinite(page) && page > 0 ? page : 1;
    read.pick = /^\d+$/.test(params.get("pick") || "") ? params.get("pick") : "";
    read.open = /^\d+$/.test(params.get("open") || "") ? params.get("open") : "";
    read.view = params.get("view") === "covers" ? "covers" : "";
    read.years = params.get("years") === "pressing" ? "pressing" : "";
    read.except = (params.get("except") || "").split(",").filter((name) => FILTERS.includes(name)).sort().join(",");
    return read;
  }

  function writeState(push) {
    const params = new URLSearchParams();
    for (const key of ["q", ...FILTERS, "except", "years", ...Object.keys(LINKED), "sort", "view", "page", "pick", "open"]) {
      if (String(state[key]) !== String(DEFAULTS[key])) params.set(key, state[key]);
    }
    const query = params.toString();
    const url = query ? `?${query}` : window.location.pathname;
    if (push) window.history.pushState(null, "", url);
    else window.history.replaceState(null, "", url);
  }

  function toRecords(data) {
    const at = Object.fromEntries(data.columns.map((name, i) => [name, i]));
    return data.rows.map((row, index) => {
      const list = (name) => (Array.isArray(row[at[name]]) ? row[at[name]] : []);
      const original = row[at.original_year] || 0;
      const record = {
        index,
        instance: String(row[at.instance_id]),
        release: row[at.release_id],
        artist: String(row[at.artist] || ""),
        title: String(row[at.title] || ""),
        year: row[at.year] || 0,
        original,
        genres: list("genres"),
        styles: list("styles"),
        formats: list("formats"),
        descriptions: list("format_descriptions"),
        labels: list("labels"),
        catnos: list("catnos"),
        thumb: String(row[at.thumb] || ""),
        artists: list("artists"),
        rating: row[at.rating] || 0,
        // The month it was added, in UTC like the dashboard's growth chart.
        month: row[at.date_added] ? new Date(row[at.date_added]).toISOString().slice(0, 7) : "",
        added: String(row[at.date_added] || ""),
        decade: original ? `${Math.floor(original / 10) * 10}s` : "",
        pressingDecade: row[at.year] ? `${Math.floor(row[at.year] / 10) * 10}s` : "",
      };
      record.format = record.formats;
      record.genre = record.genres;
      record.style = record.styles;
      record.key = null;  // built at the first search (searchKeys), not before the first rows show
      return record;
    });
  }

  // Years by the original release (the master's) or by this pressing: the year filters, the decades and the
  // year sort all follow the choice.
  const yearOf = (r) => (state.years === "pressing" ? r.year : r.original);

  function order(sort) {
    const cached = `${sort}|${state.years}`;
    if (orders[cached]) return orders[cached];
    const descending = sort.endsWith("-desc") || sort === "added" || sort === "rating";
    const field = sort.replace(/-(asc|desc)$/, "");
    const byArtist = (a, b) => collator.compare(a.artist, b.artist) || collator.compare(a.title, b.title);
    const shelf = (r) => `${r.labels[0] || ""}\u0000${r.catnos[0] || ""}`;
    // [key or null (always last), comparison of two keys]
    const keys = {
      added: [(r) => -r.index, (a, b) => a - b],  // records arrive newest first
      artist: [(r) => r, byArtist],
      title: [(r) => r, (a, b) => collator.compare(a.title, b.title) || byArtist(a, b)],
      year: [(r) => yearOf(r) || null, (a, b) => a - b],
      pressing: [(r) => r.year || null, (a, b) => a - b],
      label: [(r) => (r.labels.length ? shelf(r) : null), (a, b) => collator.compare(a, b)],
      rating: [(r) => r.rating || null, (a, b) => a - b],
    };
    const [keyOf, compare] = keys[field];
    const sorted = records.map((r) => [keyOf(r), r]);
    sorted.sort(([ka, a], [kb, b]) => {
      if (ka === null || kb === null) return (ka === null) - (kb === null) || a.index - b.index;
      return (descending ? compare(kb, ka) : compare(ka, kb)) || a.index - b.index;
    });
    orders[cached] = sorted.map(([, r]) => r);
    return orders[cached];
  }

  function searchKeys(r) {
    if (r.key === null) {
      r.key = words([r.artist, r.title, ...r.labels, ...r.catnos].join("\n"));
      r.compactKey = r.catnos.map(compact).join("\n");  // catalogue numbers, spacing-blind
    }
    return r;
  }

  const FACETS = {
    decade: (r) => {
      const decade = state.years === "pressing" ? r.pressingDecade : r.decade;
      return decade ? [decade] : [];
    },
    detail: (r) => r.descriptions,
    rating: (r) => (r.rating ? [String(r.rating)] : []),
  };
  const facetOf = (r, name) => (FACETS[name] ? FACETS[name](r) : r[name]);
  const excluded = (name) => state.except.split(",").includes(name);
  // A facet no longer chosen is no longer turned round either: the next value picked is included again.
  const exceptWithout = (name) => state.except.split(",").filter((other) => other && other !== name).join(",");
  // A facet holds when the record has the value, or, turned round, when it has not.
  const holds = (r, name) => facetOf(r, name).includes(state[name]) !== excluded(name);
  const stars = (n) => `${"★".repeat(Number(n) || 0)}${"☆".repeat(5 - (Number(n) || 0))}`;
  const shownValue = (name, value) => (name === "rating" ? stars(value) : value);

  // Each typed word holds when its letters and digits occur in that order (punctuation between them as a
  // space: "ac/dc" is "ac dc"), or run together inside a catalogue number ("swco1762" finds "SWCO 1762").
  const searchTerms = (q) => q.split(/\s+/).map((term) => [words(term), compact(term)]).filter(([w]) => w);

  // The search and the filters the charts open, which every select's count respects too.
  function searchedAndLinked(r, terms, linked) {
    for (const name of linked) if (!LINKED_MATCH[name](r, state[name])) return false;
    if (!terms.length) return true;
    searchKeys(r);
    return terms.every(([w, c]) => r.key.includes(w) || r.compactKey.includes(c));
  }

  // Typing narrows: when the query only grew, search the previous result instead of every record.
  let last = { view: null, q: null, found: [] };
  function matches() {
    const q = fold(state.q);
    const terms = searchTerms(q);
    const wanted = FILTERS.filter((name) => state[name]);
    const linked = Object.keys(LINKED).filter((name) => state[name]);
    const view = [state.sort, state.except, state.years, ...[...wanted, ...linked].map((name) => `${name}=${state[name]}`)]
      .join("\u0000");
    const pool = last.view === view && last.q !== null && q.startsWith(last.q) ? last.found : order(state.sort);
    const found = pool.filter((r) => wanted.every((name) => holds(r, name)) && searchedAndLinked(r, terms, linked));
    last = { view, q, found };
    return found;
  }

  const LINKED_MATCH = {
    artist: (r, value) => r.artists.includes(value),
    label: (r, value) => r.labels.includes(value),
    year: (r, value) => String(yearOf(r)) === value,
    from: (r, value) => yearOf(r) > 0 && yearOf(r) >= Number(value),
    to: (r, value) => yearOf(r) > 0 && yearOf(r) <= Number(value),
    until: (r, value) => r.month !== "" && r.month <= value,
  };

  // Every active filter as a chip that removes it: the selects' and the dashboard's alike, so on a phone,
  // where the selects fold away behind one button, what narrows the list stays in sight.
  const SELECTS = { genre: "Genre", style: "Style", format: "Format", detail: "Format detail", decade: "Decade",
                    rating: "Rating" };
  const NAMES = { ...SELECTS, ...LINKED };
  const YEARS = { year: "Year of the pressing", from: "From pressing year", to: "To pressing year",
                  decade: "Decade of the pressing" };
  function showChips() {
    const names = Object.keys(NAMES).filter((name) => state[name]);
    chips.replaceChildren(...names.map((name) => {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip";
      chip.dataset.filter = name;
      const shown = `${excluded(name) ? "not " : ""}${name === "rating" ? "★".repeat(Number(state[name]) || 0) : state[name]}`;
      const named = state.years === "pressing" && YEARS[name] ? YEARS[name] : NAMES[name];
      chip.textContent = `${named}: ${shown} ✕`;
      chip.setAttribute("aria-label", `Remove the filter ${named}: ${shown}`);
      return chip;
    }));
    chips.hidden = names.length === 0;
    toggle.textContent = names.length ? `Filters (${names.length})` : "Filters";
  }

  // How many records hold each value of a facet (a record counted once per value).
  function countValues(rows, name) {
    const counted = new Map();
    for (const r of rows) for (const value of new Set(facetOf(r, name))) counted.set(value, (counted.get(value) || 0) + 1);
    return counted;
  }

  function fillSelect(name, current, compare) {
    const select = form.elements[name];
    select.replaceChildren(select.options[0]);  // "All …": the decades are filled again when the years change
    const counted = countValues(records, name);
    if (current && !counted.has(current)) counted.set(current, 0); // a shared link naming a value no longer here
    for (const [value, n] of [...counted].sort((a, b) => compare(a[0], b[0]))) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = `${shownValue(name, value)} (${numbers.format(n)})`;
      select.append(option);
    }
  }

  // Options narrow each other: each select counts what the other active filters and the search leave,
  // and an option that would show nothing cannot be picked. Run just after a change settles, so typing
  // stays as fast as before.
  function narrowFacets() {
    const terms = searchTerms(fold(state.q));
    const linked = Object.keys(LINKED).filter((name) => state[name]);
    const base = records.filter((r) => searchedAndLinked(r, terms, linked));
    for (const name of FILTERS) {
      const others = FILTERS.filter((other) => other !== name && state[other]);
      const counted = countValues(base.filter((r) => others.every((other) => holds(r, other))), name);
      for (const option of form.elements[name].options) {
        if (!option.value) continue;
        const n = counted.get(option.value) || 0;
        option.textContent = `${shownValue(name, option.value)} (${numbers.format(n)})`;
        option.disabled = n === 0 && option.value !== state[name];
      }
    }
    document.documentElement.dataset.facetsNarrowed = String(++narrowed);
  }
  let narrowed = 0;
  let narrowing = null;
  function scheduleFacets() {
    clearTimeout(narrowing);
    narrowing = setTimeout(narrowFacets, 60);
  }

  function syncControls() {
    form.elements.q.value = state.q;
    for (const name of [...FILTERS, "sort", "years", "artist", "label", "from", "to"]) {
      form.elements[name].value = state[name];
    }
    for (const box of form.querySelectorAll("input[data-except]")) box.checked = excluded(box.dataset.except);
  }

  function text(tag, className, content) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    element.textContent = content;
    return element;
  }

  function unique(values, keyOf) {
    const seen = new Set();
    return values.filter((value) => {
      const key = keyOf(value);
      if (!key || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  // "SWCO 1762", "1762", "SWCO-1762" are one catalogue number written three ways: keep the first, fullest.
  function catalogueNumbers(values) {
    const distinct = unique(values, compact);
    return distinct.filter((value) => !distinct.some((other) => other !== value && compact(other) !== compact(value)
      && compact(other).endsWith(compact(value))));
  }

  function row(r) {
    const item = document.createElement("li");
    item.className = "release";
    item.dataset.instance = r.instance;
    item.append(opener(r, 64));
    const body = document.createElement("div");
    body.className = "body";
    body.append(text("div", "artist", r.artist));
    const title = text("div", "title", "");
    const link = text("a", "", r.title || "(untitled)");
    link.href = `https://www.discogs.com/release/${Number(r.release)}`;
    link.rel = "noopener";
    link.setAttribute("aria-label", `${r.artist ? `${r.artist} – ` : ""}${r.title || "(untitled)"} on Discogs`);
    title.append(link);
    const copies = copiesOf.get(r.release) || 1;
    if (copies > 1) {
      const mark = text("span", "copies", ` ×${copies}`);
      mark.title = `${copies} copies of this release in the collection`;
      title.append(mark);
    }
    body.append(title);
    let year = r.original ? String(r.original) : "year unknown";
    const added = r.month ? `added ${r.added.slice(0, 10)}` : "";
    const rated = r.rating ? stars(r.rating) : "";
    if (r.year && r.original && r.year !== r.original) year += ` (this pressing ${r.year})`;
    const formats = [...r.formats, ...r.descriptions].join(", ");
    const label = [unique(r.labels, (name) => name).join(", "), catalogueNumbers(r.catnos).join(", ")]
      .filter(Boolean).join(" – ");
    body.append(text("div", "meta", [year, formats, label].filter(Boolean).join(" · ")));
    const about = text("div", "meta when", [added, rated].filter(Boolean).join(" · "));
    if (rated) about.setAttribute("aria-label", [added, `rated ${r.rating} of 5`].filter(Boolean).join(" · "));
    body.append(about);
    item.append(body);
    return item;
  }

  const nameOf = (r) => `${r.artist ? `${r.artist} – ` : ""}${r.title || "(untitled)"}`;

  // The cover as a button that opens the larger view.
  function opener(r, size) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "cover-open";
    button.dataset.open = r.instance;
    button.setAttribute("aria-label", `${nameOf(r)}: larger cover and details`);
    button.append(covers.cover(r.thumb, r.release, r.artist, r.title, size));
    return button;
  }

  function tile(r) {
    const item = document.createElement("li");
    item.className = "tile";
    item.dataset.instance = r.instance;
    const caption = text("div", "caption", "");
    caption.append(text("span", "artist", r.artist), text("span", "title", r.title || "(untitled)"));
    const copies = copiesOf.get(r.release) || 1;
    if (copies > 1) caption.append(text("span", "copies", ` ×${copies}`));
    item.append(opener(r, 200), caption);
    return item;
  }

  // A row once built is kept: paging back or refining a search re-attaches it, images already loaded.
  const built = { "": new Map(), covers: new Map() };
  function itemFor(r) {
    const made = built[state.view];
    if (!made.has(r.index)) made.set(r.index, state.view ? tile(r) : row(r));
    return made.get(r.index);
  }

  function render() {
    const found = matches();
    const perPage = PER_PAGE[state.view];
    const last = Math.max(1, Math.ceil(found.length / perPage));
    if (state.page > last) {
      state.page = last;
      writeState(false);  // a link to page 999 of 12 now says page 12
    }
    const start = (state.page - 1) * perPage;
    const shown = found.slice(start, start + perPage).map(itemFor);
    list.classList.toggle("wall", state.view === "covers");
    if (shown.length !== list.children.length || shown.some((node, i) => list.children[i] !== node)) {
      list.replaceChildren(...shown);
    }
    for (const button of views.querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.dataset.view === state.view));
    }
    count.textContent = numbers.format(found.length);
    showChips();
    scheduleFacets();
    const pressing = state.years === "pressing" && state.sort.startsWith("year");
    ordering.textContent = ORDER_NAMES[pressing ? state.sort.replace("year", "pressing") : state.sort];
    const filtered = state.q || [...FILTERS, ...Object.keys(LINKED)].some((name) => state[name]);
    for (const box of form.querySelectorAll("input[data-except]")) box.disabled = !state[box.dataset.except];
    status.classList.remove("error");
    status.textContent = found.length ? (filtered ? `of ${numbers.format(records.length)} releases match` : "releases")
      : "No releases match these filters.";
    pages.hidden = found.length <= perPage;
    pageLabel.textContent = `Page ${state.page} of ${last}`;
    const focused = document.activeElement;
    pages.querySelector('[data-page="prev"]').disabled = state.page <= 1;
    pages.querySelector('[data-page="next"]').disabled = state.page >= last;
    randomButton.disabled = found.length === 0;
    resetButton.disabled = !filtered && state.sort === DEFAULTS.sort && state.page === 1;
    // A button that just disabled itself would drop keyboard focus to <body>: hand it to a neighbour.
    if (focused instanceof HTMLButtonElement && focused.disabled) {
      const next = focused.dataset.page === "next" ? pages.querySelector('[data-page="prev"]')
        : focused.dataset.page === "prev" ? pages.querySelector('[data-page="next"]') : form.elements.q;
      (next.disabled || next.closest("[hidden]") ? form.elements.q : next).focus();
    }
    return found;
  }

  function update(changes, push) {
    state = { ...state, pick: "", open: "", ...changes };
    pick.hidden = true;
    writeState(push);
    render();
  }

  // The random pick is part of the address (?pick=<instance id>), so a shared link shows the same record.
  function showPick(focus) {
    const chosen = records.find((r) => r.instance === state.pick);
    if (!chosen) {
      pick.hidden = true;
      return;
    }
    const card = row(chosen);
    card.classList.add("picked");
    pick.querySelector("ol").replaceChildren(card);
    pick.hidden = false;
    if (focus) card.querySelector("a").focus();
  }

  function detail(list, term, value) {
    if (!value) return;
    list.append(text("dt", "", term), text("dd", "", value));
  }

  async function largeCover(instance) {
    if (!largeCovers) {
      largeCovers = fetch(form.dataset.covers, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : { covers: {} }))
        .then((data) => data.covers || {}, () => ({}));
    }
    return (await largeCovers)[instance] || "";
  }

  // The larger view of one release: a modal dialog (focus stays inside, Esc closes), in the address as ?open=.
  let returnTo = null;
  function openView(r, from) {
    returnTo = from || null;
    const big = viewer.querySelector(".big-cover");
    big.replaceChildren(covers.cover(r.thumb, r.release, r.artist, r.title, 500));
    largeCover(r.instance).then((url) => {
      if (covers.usable(url) && viewer.dataset.instance === r.instance) {
        big.replaceChildren(covers.cover(url, r.release, r.artist, r.title, 500));
      }
    });
    viewer.dataset.instance = r.instance;
    viewer.querySelector(".artist").textContent = r.artist;
    const copies = copiesOf.get(r.release) || 1;
    viewer.querySelector("h2").textContent = `${r.title || "(untitled)"}${copies > 1 ? ` (×${copies})` : ""}`;
    const facts = viewer.querySelector("dl");
    facts.replaceChildren();
    detail(facts, "Original year", r.original ? String(r.original) : "unknown");
    if (r.year && r.year !== r.original) detail(facts, "This pressing", String(r.year));
    detail(facts, "Format", [...r.formats, ...r.descriptions].join(", "));
    detail(facts, "Label", [unique(r.labels, (name) => name).join(", "), catalogueNumbers(r.catnos).join(", ")]
      .filter(Boolean).join(" – "));
    detail(facts, "Genres", r.genres.join(", "));
    detail(facts, "Styles", r.styles.join(", "));
    detail(facts, "Added", r.added.slice(0, 10));
    detail(facts, "Rating", r.rating ? `${stars(r.rating)} (${r.rating} of 5)` : "");
    if (copies > 1) detail(facts, "Copies", `${copies} of this release in the collection`);
    const link = viewer.querySelector(".on-discogs");
    link.href = `https://www.discogs.com/release/${Number(r.release)}`;
    state.open = r.instance;
    writeState(false);
    if (!viewer.open) viewer.showModal();
  }

  function listen() {
    document.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-open]");
      const chosen = button && byInstance.get(button.dataset.open);
      if (chosen) openView(chosen, button);
    });
    viewer.querySelector(".close").addEventListener("click", () => viewer.close());
    viewer.addEventListener("click", (event) => {
      if (event.target === viewer) viewer.close();  // a click on the backdrop
    });
    viewer.addEventListener("close", () => {
      state.open = "";
      writeState(false);
      const back = returnTo && returnTo.isConnected ? returnTo : list.querySelector("button[data-open]");
      if (back) back.focus();
    });
    views.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-view]");
      if (!button || button.dataset.view === state.view) return;
      // Keep the first record on screen in sight: the other view holds more or fewer per page.
      const first = (state.page - 1) * PER_PAGE[state.view];
      update({ view: button.dataset.view, page: Math.floor(first / PER_PAGE[button.dataset.view]) + 1 }, true);
      button.focus();
    });
    form.addEventListener("submit", (event) => event.preventDefault());
    form.elements.q.addEventListener("input", () => update({ q: form.elements.q.value, page: 1 }, false));
    // Arrow keys on a closed select fire "change" per option: one history entry per visit to the select.
    for (const name of [...FILTERS, "sort"]) {
      const select = form.elements[name];
      let pushed = false;
      select.addEventListener("focus", () => { pushed = false; });
      select.addEventListener("change", () => {
        update({ [name]: select.value, page: 1, ...(select.value ? {} : { except: exceptWithout(name) }) }, !pushed);
        syncControls();
        pushed = true;
      });
    }
    for (const box of form.querySelectorAll("input[data-except]")) {
      box.addEventListener("change", () => {
        const names = new Set(state.except.split(",").filter(Boolean));
        if (box.checked) names.add(box.dataset.except);
        else names.delete(box.dataset.except);
        update({ except: [...names].sort().join(","), page: 1 }, true);
      });
    }
    // Artist and label: typed with suggestions, matched exactly (whatever the case) once the field is left.
    for (const name of ["artist", "label"]) {
      const input = form.elements[name];
      input.addEventListener("change", () => {
        const typed = input.value.trim();
        const match = typed && [...known(name)].find((value) => collator.compare(value, typed) === 0);
        input.value = match || typed;
        update({ [name]: match || typed, page: 1 }, true);
      });
    }
    for (const name of ["from", "to"]) {
      const input = form.elements[name];
      input.addEventListener("change", () => {
        const year = /^\d{4}$/.test(input.value.trim()) ? input.value.trim() : "";
        input.value = year;
        update({ [name]: year, page: 1 }, true);
      });
    }
    form.elements.years.addEventListener("change", () => {
      // A decade of original years is not one of pressing years: the choice is dropped with the list of decades.
      state.years = form.elements.years.value;
      fillSelect("decade", "", byDecade);
      update({ years: state.years, decade: "", except: exceptWithout("decade"), page: 1 }, true);
      syncControls();
    });
    pages.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-page]");
      if (!button || button.disabled) return;
      update({ page: state.page + (button.dataset.page === "next" ? 1 : -1) }, true);
      list.scrollIntoView({ block: "start" });
    });
    chips.addEventListener("click", (event) => {
      const chip = event.target.closest("button[data-filter]");
      if (!chip) return;
      update({ [chip.dataset.filter]: "", page: 1, except: exceptWithout(chip.dataset.filter) }, true);
      syncControls();
      (chips.querySelector("button") || form.elements.q).focus();
    });
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      form.classList.toggle("open", open);
      if (open) form.elements.genre.focus();
    });
    resetButton.addEventListener("click", () => {
      state = { ...DEFAULTS };
      syncControls();
      update({}, true);
    });
    randomButton.addEventListener("click", () => {
      const found = matches();
      if (!found.length) return;
      state.pick = found[Math.floor(Math.random() * found.length)].instance;
      writeState(true);
      showPick(true);
    });
    window.addEventListener("popstate", () => {
      state = readState();
      syncControls();
      render();
      showPick(false);
      showOpen();
    });
  }

  function showOpen() {
    const chosen = state.open && byInstance.get(state.open);
    if (chosen) openView(chosen, null);
    else if (viewer.open) viewer.close();
  }

  const load = (url) => fetch(url, { credentials: "same-origin" }).then((response) => {
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }).then((data) => {
    if (!Array.isArray(data.columns) || !Array.isArray(data.rows)) throw new Error("unexpected data");
    return data;
  });

  // The newest records, from a small file, while the whole collection loads: a plain first visit shows
  // rows at once however big the collection. Anything narrower waits for the whole list.
  async function showFirst() {
    const plain = !state.q && state.sort === DEFAULTS.sort && state.page === 1 && !state.pick && !state.open
      && [...FILTERS, ...Object.keys(LINKED)].every((name) => !state[name]);
    if (!plain || !form.dataset.first) return;
    try {
      const first = await load(form.dataset.first);
      if (settled) return;  // the whole list won the race, or failed and says so
      const newest = toRecords(first).slice(0, PER_PAGE[state.view]);
      list.classList.toggle("wall", state.view === "covers");
      list.replaceChildren(...newest.map((r) => (state.view ? tile(r) : row(r))));
      count.textContent = numbers.format(Number(first.total) || newest.length);
      status.textContent = "releases (loading the rest…)";
      performance.mark("first-rows");  // read by the browser benchmark
      document.documentElement.dataset.firstRows = "true";
    } catch {
      // the whole list follows anyway
    }
  }

  let settled = false;
  async function start() {
    state = readState();
    let data;
    const whole = load(form.dataset.src);
    showFirst();
    try {
      data = await whole;
    } catch (error) {
      settled = true;
      status.textContent = `Could not load the releases (${error.message}). Reload the page to try again.`;
      status.classList.add("error");
      return;
    }
    settled = true;
    records = toRecords(data);
    orders = {};
    for (const r of records) {
      copiesOf.set(r.release, (copiesOf.get(r.release) || 0) + 1);
      byInstance.set(r.instance, r);
    }
    const alphabetical = (a, b) => collator.compare(a, b);
    for (const name of ["genre", "style", "format", "detail"]) fillSelect(name, state[name], alphabetical);
    fillSelect("decade", state.decade, byDecade);
    fillSelect("rating", state.rating, (a, b) => Number(b) - Number(a));
    for (const name of ["artist", "label"]) {
      // Thousands of suggestions cost the first view a noticeable moment: built when the field is first used.
      form.elements[name].addEventListener("focus", () => {
        const options = document.getElementById(`${name}-options`);
        if (options.children.length) return;
        options.replaceChildren(...[...known(name)].sort(alphabetical).map((value) => {
          const option = document.createElement("option");
          option.value = value;
          return option;
        }));
      });
    }
    syncControls();
    listen();
    render();
    showPick(false);
    if (state.open && !byInstance.has(state.open)) {
      state.open = "";  // a record no longer in the collection
      writeState(false);
    }
    showOpen();
    performance.mark("list-ready");  // read by the browser benchmark
    document.documentElement.dataset.listReady = "true";
  }

  start();
})();
