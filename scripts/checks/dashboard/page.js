/*
 * The class dashboard's script, inlined into index.html by dashboard-html.ts. Renders the class
 * data (class.json, embedded in the page) with DOM calls only (text, never HTML, so nothing a
 * cluster reports can inject markup); served over http it reloads class.json every 30 s
 * (?refresh=N: every N s).
 * One card per student, coloured at a glance; a click on it opens the details.
 */
/* global document, window, fetch, location, URLSearchParams */
"use strict";
(function () {
  // Seconds between reloads of class.json when served: 30, or ?refresh=N in the address.
  const asked = Number(new URLSearchParams(location.search).get("refresh"));
  const REFRESH_MS = asked > 0 ? asked * 1000 : 30000;
  const open = new Set();

  /** The colour of a student and why: red needs the teacher, amber is worth a look. */
  function health(student) {
    const reasons = [];
    if (student.state === "no stack") return { level: "grey", reasons: ["no cluster"] };
    if (/failed$/.test(student.state)) reasons.push("last " + student.state);
    if (student.nodes.ready < student.nodes.expected) {
      reasons.push(student.nodes.ready + " of " + student.nodes.expected + " nodes Ready");
    }
    for (const stack of student.stacks) {
      if (!stack.converged) reasons.push(stack.name + " not converged");
    }
    for (const run of student.checks) {
      if (run.problem) reasons.push(run.lab + ": " + run.problem);
      for (const result of run.results) {
        if (result.status !== "pass")
          reasons.push(run.lab + " " + result.check + " " + result.status);
      }
    }
    if (reasons.length > 0) return { level: "red", reasons: reasons };
    if (student.expired)
      return { level: "amber", reasons: ["past its last day " + student.expires] };
    if (student.state === "updating") return { level: "amber", reasons: ["updating"] };
    if (student.checks.length === 0) return { level: "amber", reasons: ["no check run yet"] };
    return { level: "green", reasons: ["all well"] };
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    for (const child of children || []) {
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function table(headers, rows) {
    return el("table", {}, [
      el("thead", {}, [
        el(
          "tr",
          {},
          headers.map((h) => el("th", {}, [h])),
        ),
      ]),
      el(
        "tbody",
        {},
        rows.map((row) =>
          el(
            "tr",
            row.attrs || {},
            row.cells.map((c) => el("td", {}, [c])),
          ),
        ),
      ),
    ]);
  }

  function checkCounts(student) {
    let pass = 0;
    let all = 0;
    for (const run of student.checks) {
      for (const result of run.results) {
        all += 1;
        if (result.status === "pass") pass += 1;
      }
    }
    return all === 0 ? "no checks yet" : pass + "/" + all + " checks pass";
  }

  function summaryLine(student) {
    const converged = student.stacks.filter((s) => s.converged).length;
    return [
      "nodes " + student.nodes.ready + "/" + student.nodes.expected + " Ready",
      "stacks " + converged + "/" + student.stacks.length + " converged",
      checkCounts(student),
      student.expires
        ? "until " + student.expires + (student.expired ? " (expired)" : "")
        : "no end date",
    ].join(" · ");
  }

  function details(student, verdict) {
    const nodes = table(
      ["node", "role", "state", "availability"],
      student.nodes.list.map((n) => ({ cells: [n.name, n.role, n.state, n.availability] })),
    );
    const stacks = table(
      ["stack", "service", "running/wanted"],
      student.stacks.flatMap((s) =>
        s.services.map((svc) => ({
          attrs: { class: svc.running === svc.wanted ? "ok" : "bad" },
          cells: [s.name, svc.service, svc.running + "/" + svc.wanted],
        })),
      ),
    );
    const runs = student.checks.map((run) =>
      el("section", { class: "run", "data-lab": run.lab }, [
        el("h3", {}, ["lab " + run.lab + ", checked " + new Date(run.at).toLocaleString()]),
        ...(run.problem ? [el("p", { class: "bad" }, [run.problem])] : []),
        el(
          "ul",
          { class: "checks" },
          run.results.map((r) =>
            el("li", { "data-check": r.check, "data-status": r.status }, [
              el("span", { class: "pill " + r.status }, [r.status]),
              el("strong", {}, [r.check]),
              " " + r.message,
              el("pre", {}, [JSON.stringify(r.evidence, null, 2)]),
            ]),
          ),
        ),
      ]),
    );
    return el("div", { class: "details", "data-details": student.id }, [
      el("p", { class: "reasons" }, [verdict.reasons.join("; ")]),
      el("h3", {}, ["nodes (at the last pulumi up)"]),
      nodes,
      el("h3", {}, ["stacks (at the last pulumi up)"]),
      stacks,
      ...(runs.length > 0
        ? runs
        : [el("p", {}, ["No check run yet: npm run class -- check <lab>"])]),
    ]);
  }

  function card(student) {
    const verdict = health(student);
    const isOpen = open.has(student.id);
    const button = el(
      "button",
      { type: "button", class: "head", "aria-expanded": String(isOpen) },
      [
        el("span", { class: "dot", title: verdict.level }, []),
        el("span", { class: "id" }, [student.id]),
        el("span", { class: "line" }, [summaryLine(student)]),
      ],
    );
    const body = details(student, verdict);
    body.hidden = !isOpen;
    button.addEventListener("click", () => {
      body.hidden = !body.hidden;
      button.setAttribute("aria-expanded", String(!body.hidden));
      if (body.hidden) open.delete(student.id);
      else open.add(student.id);
    });
    return el(
      "article",
      {
        class: "student " + verdict.level,
        "data-student": student.id,
        "data-level": verdict.level,
      },
      [button, body],
    );
  }

  function render(data) {
    const levels = { red: 0, amber: 0, green: 0, grey: 0 };
    for (const student of data.students) levels[health(student).level] += 1;
    document.getElementById("summary").textContent =
      data.students.length +
      " students: " +
      levels.red +
      " red, " +
      levels.amber +
      " amber, " +
      levels.green +
      " green, " +
      levels.grey +
      " without a cluster · data of " +
      new Date(data.generated).toLocaleString();
    document.getElementById("students").replaceChildren(...data.students.map(card));
  }

  render(JSON.parse(document.getElementById("class-data").textContent));
  if (location.protocol === "http:" || location.protocol === "https:") {
    window.setInterval(() => {
      fetch("class.json", { cache: "no-store" })
        .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
        .then(render)
        .catch(() => undefined); // keep what is shown; the next round tries again
    }, REFRESH_MS);
  }
})();
