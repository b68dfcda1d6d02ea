// How releases.json's columns become records, and the text folding the search uses: one copy shared by
// the list page (the newest rows of first.json, catalogue numbers in rows) and its worker (everything else).
"use strict";

(function (scope) {
  // Case- and accent-insensitive: "Björk" and "BJORK" both become "bjork".
  const fold = (text) => text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  // Punctuation-blind too: "What's" is found by "whats"; apostrophes and dots vanish, other marks part words.
  const words = (text) => fold(text).replace(/['’.]/g, "").replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  // Spacing-blind for catalogue numbers: "SWCO 1762" and "SWCO-1762" are both "swco1762".
  const compact = (text) => words(text).replace(/ /g, "");

  // What an owner chose to publish besides: their folder's name, custom fields ("field:" a dropdown,
  // "text:" free text), each a column named after it.
  const published = (name) => name === "folder" || name.startsWith("field:") || name.startsWith("text:");

  function toRecords(data) {
    const at = Object.fromEntries(data.columns.map((name, i) => [name, i]));
    const extras = data.columns.filter(published);
    return data.rows.map((row, index) => {
      const list = (name) => (Array.isArray(row[at[name]]) ? row[at[name]] : []);
      const original = row[at.original_year] || 0;
      return {
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
        // The formats as printed (pipeline/collection/formats.py): "6 × Vinyl, LP, Box Set". Data staged before
        // that column existed has the names and descriptions only.
        format: at.format === undefined ? [...list("formats"), ...list("format_descriptions")].join(", ")
          : String(row[at.format] || ""),
        labels: list("labels"),
        catnos: list("catnos"),
        thumb: String(row[at.thumb] || ""),
        artists: list("artists"),
        rating: row[at.rating] || 0,
        // The month it was added as Discogs wrote the date, in its own offset (not UTC): the month its row shows,
        // and the growth chart's (stats.added_month, the same rule).
        month: (/^(\d{4}-\d{2})-\d{2}/.exec(String(row[at.date_added] || "")) || ["", ""])[1],
        added: String(row[at.date_added] || ""),
        copies: 1,  // how many records share its release id: counted over the whole list by the worker
        extras: Object.fromEntries(extras.map((name) => [name, row[at[name]] == null ? "" : String(row[at[name]])])),
      };
    });
  }

  // The data files the list reads: a checked shape, or a one-line reason.
  const load = (url) => fetch(url, { credentials: "same-origin" }).then((response) => {
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }).then((data) => {
    if (!Array.isArray(data.columns) || !Array.isArray(data.rows)) throw new Error("unexpected data");
    return data;
  });

  scope.listRecords = { fold, words, compact, toRecords, load, published };
})(self);
