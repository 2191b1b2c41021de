// order.js: while a payment is being confirmed, ask the shop now and then
// whether the order is settled, and when it is, show the page's new status
// part in place: no reload, no new history entry. The words come from the
// server's own page, in the shopper's language; this file has none.
// Without it, the page's "Check again" link does the same by hand.
(function () {
  "use strict";
  var state = document.getElementById("order-state");
  if (!state || !state.getAttribute("data-poll") || !window.fetch || !window.DOMParser) {
    return;
  }
  var orderNo = state.getAttribute("data-poll");
  var announce = document.getElementById("order-announce");
  var delay = 2000; // grows by half each time, up to maxDelay
  var maxDelay = 15000;
  var stopAt = Date.now() + 3 * 60 * 1000;

  function later() {
    if (Date.now() + delay > stopAt) {
      var waited = document.getElementById("order-waited");
      if (waited) {
        waited.hidden = false;
        if (announce) {
          announce.textContent = waited.textContent;
        }
      }
      return;
    }
    setTimeout(ask, delay);
    delay = Math.min(Math.round(delay * 1.5), maxDelay);
  }

  function ask() {
    fetch("/api/orders/" + encodeURIComponent(orderNo), {
      headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store"
    }).then(function (res) {
      if (!res.ok) {
        throw new Error("status " + res.status);
      }
      return res.json();
    }).then(function (order) {
      if (order.status === "pending") {
        later();
        return;
      }
      return show();
    }).catch(later);
  }

  // show fetches the order page as it now is and puts its status part, and
  // the cart badge (a paid order empties the cart), in place of these.
  function show() {
    return fetch(location.pathname, { credentials: "same-origin", cache: "no-store" }).then(function (res) {
      if (!res.ok) {
        throw new Error("status " + res.status);
      }
      return res.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var fresh = doc.getElementById("order-state");
      if (!fresh) {
        throw new Error("no status in the page");
      }
      state.replaceWith(document.importNode(fresh, true));
      var badge = document.querySelector("[data-testid=cart-count]");
      var freshBadge = doc.querySelector("[data-testid=cart-count]");
      if (badge && freshBadge) {
        badge.textContent = freshBadge.textContent;
      }
      var status = fresh.querySelector("[data-testid=order-status]");
      if (status && announce) {
        announce.textContent = status.textContent;
      }
    });
  }

  later();
})();
