// The publication editor: show only the inputs the chosen target uses (all show without JS),
// count the caption against the chosen target's limits, and name the ad account's currency.
(function () {
  const form = document.getElementById("publication-form");
  if (!form) return;
  const target = form.querySelector("select[name=target]");
  // "Also post to": the accounts (data-also) show for that target too.
  const also = form.querySelector("select[name=also_target]");
  function sync() {
    form.querySelectorAll("[data-targets]").forEach(function (el) {
      const wanted = el.dataset.targets.split(" ");
      const shown = wanted.includes(target.value) ||
        (also !== null && el.hasAttribute("data-also") && wanted.includes(also.value));
      el.classList.toggle("d-none", !shown);
    });
  }
  target.addEventListener("change", sync);
  if (also) also.addEventListener("change", sync);
  sync();

  // Live counts (issue #13): the limits come from publishing/targets.py through data-limits;
  // hashtags and mentions are matched as publishing/checks.py matches them; characters are
  // counted as code points, as the server counts them.
  const caption = form.querySelector("textarea[name=caption]");
  const counter = document.getElementById("caption-counter");
  const HASHTAG = /(?<![\p{L}\p{N}_])#[\p{L}\p{N}_]+/gu;
  const MENTION = /(?<![\p{L}\p{N}_@])@[\p{L}\p{N}_.]+/gu;
  const number = new Intl.NumberFormat("en");
  function count() {
    if (!caption || !counter) return;
    const all = JSON.parse(caption.dataset.limits || "{}");
    let limits = all[target.value];
    // "Also post to": the same text goes there too, so the stricter limits count.
    const second = also && also.value ? all[also.value] : null;
    if (limits && second) {
      const least = function (a, b) {
        if (a === null || a === undefined) return b;
        if (b === null || b === undefined) return a;
        return Math.min(a, b);
      };
      limits = {
        chars: limits.chars === 0 ? second.chars : (second.chars === 0 ? limits.chars : Math.min(limits.chars, second.chars)),
        hashtags: least(limits.hashtags, second.hashtags),
        mentions: least(limits.mentions, second.mentions),
      };
    }
    const text = caption.value;
    const chars = Array.from(text).length;
    const parts = [];
    const over = [];
    if (!limits) {
      parts.push(number.format(chars) + " characters");
    } else if (limits.chars === 0) {
      parts.push("This shows no caption: the text isn't published.");
    } else {
      parts.push(number.format(chars) + " / " + number.format(limits.chars) + " characters");
      if (chars > limits.chars) {
        const cut = chars - limits.chars;
        over.push("shorten it by " + number.format(cut) + (cut === 1 ? " character" : " characters"));
      }
      [["hashtags", HASHTAG], ["mentions", MENTION]].forEach(function (rule) {
        const max = limits[rule[0]];
        if (max === null || max === undefined) return;
        const found = (text.match(rule[1]) || []).length;
        const noun = rule[0] === "mentions" ? "@-mentions" : "hashtags";
        parts.push(found + " / " + max + " " + noun);
        if (found > max) over.push("remove " + (found - max) + " " + noun);
      });
    }
    counter.textContent = parts.join(" · ") + (over.length ? ". Too long: " + over.join(", ") + "." : "");
    counter.classList.toggle("text-danger", over.length > 0);
    caption.classList.toggle("is-invalid", over.length > 0);
  }
  if (caption) {
    caption.addEventListener("input", count);
    target.addEventListener("change", count);
    if (also) also.addEventListener("change", count);
    count();
  }

  // The budget is typed in the chosen ad account's currency: say which.
  const account = form.querySelector("select[name=ad_account]");
  const budget = form.querySelector("input[name=budget]");
  const budgetHelp = budget && document.getElementById(budget.id + "_helptext");
  function currency() {
    const currencies = JSON.parse(budget.dataset.currencies || "{}");
    const code = currencies[account.value];
    budgetHelp.textContent = code
      ? "In " + code + ", the ad account's currency."
      : "In the ad account's currency.";
    budgetHelp.dataset.currency = code || "";
  }
  if (account && budget && budgetHelp) {
    account.addEventListener("change", currency);
    currency();
  }
})();
