// Covers: Discogs' image when there is one, else a cover drawn here from the release's number and initials.
// Loaded before the page's own script; it also fills the server-rendered placeholders ([data-cover]) of the
// dashboard's "recently added" strip, the index and the pair pages, and draws any of their images that fails.
// Drawn with SVG elements: no request, nothing inline for CSP.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  // The hosts the pages' Content-Security-Policy lets images come from; anything else would be blocked.
  const usable = (url) => /^https:\/\/(i|img)\.discogs\.com\//.test(url || "");

  // A small, stable hash: the same release gets the same colours on every page and every build.
  function hash(text) {
    let h = 2166136261;
    for (const c of String(text)) h = Math.imul(h ^ c.codePointAt(0), 16777619) >>> 0;
    return h;
  }

  function initials(artist, title) {
    const source = artist && !/^various/i.test(artist) ? artist : title;
    const letters = String(source || "?").replace(/\(\d+\)/g, "").split(/\s+/)
      .map((word) => Array.from(word.replace(/[^\p{L}\p{N}]/gu, ""))[0] || "").filter(Boolean);
    return (letters.slice(0, 2).join("") || "?").toUpperCase();
  }

  function shape(name, attributes) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    return node;
  }

  // A sleeve: a ground colour, one of four designs in a second colour, the initials in the corner.
  function art(release, artist, title) {
    const h = hash(release || `${artist}\u0000${title}`);
    const hue = h % 360;
    const ground = `hsl(${hue} 45% 30%)`;
    const accent = `hsl(${(hue + 35 + (h >> 9) % 90) % 360} 60% 58%)`;
    const svg = shape("svg", { viewBox: "0 0 100 100", class: "art", "aria-hidden": "true", focusable: "false" });
    svg.append(shape("rect", { width: 100, height: 100, fill: ground }));
    switch ((h >> 5) % 4) {
      case 0:  // a record half out of its sleeve
        svg.append(shape("circle", { cx: 62, cy: 46, r: 34, fill: "hsl(0 0% 8%)" }),
          shape("circle", { cx: 62, cy: 46, r: 12, fill: accent }), shape("circle", { cx: 62, cy: 46, r: 2, fill: ground }));
        break;
      case 1:  // stripes
        for (let i = 0; i < 4; i += 1) {
          svg.append(shape("rect", { x: 0, y: 12 + i * 16, width: 100, height: 7, fill: accent, opacity: 1 - i * 0.2 }));
        }
        break;
      case 2:  // a diagonal field
        svg.append(shape("polygon", { points: "0,100 100,0 100,100", fill: accent }));
        break;
      default:  // a sun over a horizon
        svg.append(shape("circle", { cx: 50, cy: 58, r: 24, fill: accent }),
          shape("rect", { x: 0, y: 58, width: 100, height: 42, fill: ground, opacity: 0.85 }));
    }
    const label = shape("text", { x: 8, y: 92, fill: "#fff", "font-size": 22, "font-weight": 700,
                                  "font-family": "system-ui, sans-serif" });
    label.textContent = initials(artist, title);
    svg.append(label);
    return svg;
  }

  // The cover of one release at one size: Discogs' image, or the drawing when it has none or it fails to load.
  function cover(url, release, artist, title, size) {
    if (!usable(url)) return art(release, artist, title);
    const img = document.createElement("img");
    img.loading = "lazy";
    img.decoding = "async";
    img.alt = "";
    img.width = size;
    img.height = size;
    img.src = url;
    img.addEventListener("error", () => img.replaceWith(art(release, artist, title)), { once: true });
    return img;
  }

  // A Discogs image drawn in the page's HTML ([data-fallback]) that fails to load, now or before this script ran,
  // becomes the drawing in a slot like the ones the HTML leaves for releases without an image.
  function guard(img) {
    const draw = () => {
      const slot = document.createElement("span");
      slot.className = "cover";
      slot.append(art(img.dataset.release, img.dataset.artist, img.dataset.title));
      img.replaceWith(slot);
    };
    img.removeAttribute("data-fallback");
    if (img.complete && img.naturalWidth === 0) draw();
    else img.addEventListener("error", draw, { once: true });
  }

  function fill(root) {
    for (const slot of root.querySelectorAll("[data-cover]")) {
      const { src, release, artist, title } = slot.dataset;
      slot.replaceChildren(cover(src, release, artist, title, Number(slot.dataset.size) || 96));
      slot.removeAttribute("data-cover");
    }
    for (const img of root.querySelectorAll("img[data-fallback]")) guard(img);
  }

  window.siteCovers = { usable, art, cover, fill };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => fill(document));
  else fill(document);
})();
