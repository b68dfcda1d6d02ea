// The index: find a collector by name or genre as you type (accent- and case-blind).
"use strict";

(function () {
  const form = document.getElementById("find");
  const people = document.getElementById("people");
  const status = document.getElementById("people-count");
  if (!form || !people) return;
  const fold = (text) => text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  const cards = [...people.children].map((card) => ({ card, key: fold(card.dataset.find || "") }));
  const numbers = new Intl.NumberFormat();
  form.addEventListener("submit", (event) => event.preventDefault());
  form.elements.who.addEventListener("input", () => {
    const terms = fold(form.elements.who.value).split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const { card, key } of cards) {
      card.hidden = !terms.every((term) => key.includes(term));
      if (!card.hidden) shown += 1;
    }
    status.textContent = terms.length
      ? `${numbers.format(shown)} of ${numbers.format(cards.length)} collections match`
      : `${numbers.format(cards.length)} collection${cards.length === 1 ? "" : "s"}`;
  });
})();
