import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TTestServer } from "../helpers.js";

let s: TTestServer;
let admin: Awaited<ReturnType<TTestServer["actor"]>>;
let requester: Awaited<ReturnType<TTestServer["actor"]>>;
const create = async (payload: Record<string, unknown>, headers = requester.headers) => {
  const res = await s.inject({ method: "POST", url: "/api/tickets/", headers, payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: number };
};
const ids = (res: { json(): { results: { id: number }[] } }) => res.json().results.map((t) => t.id);

beforeAll(async () => {
  s = await startTestServer();
  admin = await s.actor("admin");
  requester = await s.actor("requester");
});
afterAll(async () => {
  await s?.close();
});

describe("#tickets.list", () => {
  it("pages with a keyset cursor without gaps or repeats", async () => {
    const made: number[] = [];
    for (let i = 0; i < 7; i++) made.push((await create({ title: `Paging ${i}` })).id);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/tickets/?limit=3${cursor ? `&cursor=${cursor}` : ""}`;
      const res = await s.inject({ method: "GET", url, headers: requester.headers });
      seen.push(...ids(res));
      cursor = res.json().next;
    } while (cursor);
    expect(seen).toEqual([...made].reverse());
    const asc = await s.inject({
      method: "GET",
      url: "/api/tickets/?sort=created&limit=2",
      headers: requester.headers,
    });
    expect(ids(asc)).toEqual(made.slice(0, 2));
  });

  it("filters by status, priority, queue, assignee and created range", async () => {
    const prios = (await s.inject({ method: "GET", url: "/api/priorities/", headers: admin.headers })).json()
      .results;
    const urgent = prios.find((p: { slug: string }) => p.slug === "urgent").id;
    const queues = (await s.inject({ method: "GET", url: "/api/queues/", headers: admin.headers })).json()
      .results;
    const billing = queues.find((q: { slug: string }) => q.slug === "billing").id;
    const a = await create({ title: "Urgent billing", priority_id: urgent, queue_id: billing });
    const executor = await s.actor("executor");
    await s.inject({
      method: "POST",
      url: `/api/tickets/${a.id}/assign/`,
      headers: admin.headers,
      payload: { executor_id: executor.id },
    });
    const get = (q: string) => s.inject({ method: "GET", url: `/api/tickets/?${q}`, headers: admin.headers });
    expect(ids(await get(`priority_id=${urgent}`))).toEqual([a.id]);
    expect(ids(await get(`queue_id=${billing}&status=open,in_progress`))).toEqual([a.id]);
    expect(ids(await get(`assignee_id=${executor.id}`))).toEqual([a.id]);
    expect(ids(await get("assignee_id=none"))).not.toContain(a.id);
    expect(ids(await get(`requester_id=${requester.id}&priority_id=${urgent}`))).toEqual([a.id]);
    const today = new Date().toISOString().slice(0, 10);
    expect(ids(await get(`created_from=${today}&created_to=${today}&priority_id=${urgent}`))).toEqual([a.id]);
    expect(ids(await get(`created_to=2000-01-01`))).toEqual([]);
  });
});

describe("#tickets.search", () => {
  it("finds Russian and English words by stem, messages too, with typos, best first", async () => {
    const printer = await create({ title: "Не печатает принтер", description: "Принтеры на третьем этаже" });
    const vpn = await create({
      title: "VPN disconnects",
      description: "The connection drops every ten minutes",
    });
    const other = await create({ title: "Кондиционер шумит", description: "В кабинете 204" });
    await s.inject({
      method: "POST",
      url: "/api/messages/",
      headers: requester.headers,
      payload: { ticket_id: other.id, text: "И принтер тоже" },
    });
    const search = async (q: string) =>
      ids(
        await s.inject({
          method: "GET",
          url: `/api/tickets/?q=${encodeURIComponent(q)}`,
          headers: requester.headers,
        }),
      );
    expect(await search("принтеры")).toEqual([printer.id, other.id]);
    expect(await search("disconnected")).toEqual([vpn.id]);
    expect(await search("connections")).toEqual([vpn.id]);
    expect(await search("прентер")).toContain(printer.id);
    const typo = await s.inject({
      method: "GET",
      url: `/api/tickets/?q=${encodeURIComponent("прентер")}`,
      headers: requester.headers,
    });
    expect(typo.json().corrected_query).toBe("принтер");
    expect(await search("nothing-like-this")).toEqual([]);
    expect(await search(`#${vpn.id}`)).toContain(vpn.id);
  });

  it("ranks a title match above a description match and pages through every match once", async () => {
    const inBody = await create({ title: "Разное", description: "Нужен новый маршрутизатор в переговорную" });
    const inTitle = await create({ title: "Маршрутизатор не раздаёт Wi-Fi", description: "С утра" });
    const more = [];
    for (let i = 0; i < 4; i++) more.push((await create({ title: `Маршрутизатор ${i}` })).id);
    const first = await s.inject({
      method: "GET",
      url: `/api/tickets/?q=${encodeURIComponent("маршрутизаторы")}&limit=2`,
      headers: requester.headers,
    });
    const seen = ids(first);
    expect(seen).not.toContain(inBody.id);
    let cursor = first.json().next;
    while (cursor) {
      const page = await s.inject({
        method: "GET",
        url: `/api/tickets/?q=${encodeURIComponent("маршрутизаторы")}&limit=2&cursor=${cursor}`,
        headers: requester.headers,
      });
      seen.push(...ids(page));
      cursor = page.json().next;
    }
    expect(seen.at(-1)).toBe(inBody.id);
    expect([...seen].sort()).toEqual([inBody.id, inTitle.id, ...more].sort());
  });
});

describe("#tickets.idempotency", () => {
  it("returns the first result for a retried create, never a second ticket", async () => {
    const headers = { ...requester.headers, "idempotency-key": "retry-me-1" };
    const first = await s.inject({
      method: "POST",
      url: "/api/tickets/",
      headers,
      payload: { title: "Only once" },
    });
    const second = await s.inject({
      method: "POST",
      url: "/api/tickets/",
      headers,
      payload: { title: "Only once" },
    });
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.json().id).toBe(first.json().id);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    const parallel = await Promise.all(
      [1, 2, 3].map(() =>
        s.inject({
          method: "POST",
          url: "/api/tickets/",
          headers: { ...requester.headers, "idempotency-key": "parallel-1" },
          payload: { title: "Parallel" },
        }),
      ),
    );
    expect(new Set(parallel.map((r) => r.json().id)).size).toBe(1);
    const list = await s.inject({
      method: "GET",
      url: "/api/tickets/?q=Parallel",
      headers: requester.headers,
    });
    expect(list.json().results).toHaveLength(1);
    // A failed create does not burn the key.
    const bad = await s.inject({
      method: "POST",
      url: "/api/tickets/",
      headers: { ...requester.headers, "idempotency-key": "k2" },
      payload: { title: "x", priority_id: 9999 },
    });
    expect(bad.statusCode).toBe(400);
    const good = await s.inject({
      method: "POST",
      url: "/api/tickets/",
      headers: { ...requester.headers, "idempotency-key": "k2" },
      payload: { title: "x" },
    });
    expect(good.statusCode).toBe(201);
  });
});

describe("#tickets.archive", () => {
  it("hides closed tickets after the delay; they stay in the archive view and in search", async () => {
    const t = await create({ title: "Archived soon zebra" });
    await s.inject({
      method: "PATCH",
      url: `/api/tickets/${t.id}/`,
      headers: admin.headers,
      payload: { status: "closed" },
    });
    await s.ctx.database.executor.executeSql(
      "UPDATE tickets SET closed_at = now() - interval '25 hours' WHERE id = $1",
      [t.id],
    );
    const fresh = await create({ title: "Closed just now" });
    await s.inject({
      method: "PATCH",
      url: `/api/tickets/${fresh.id}/`,
      headers: admin.headers,
      payload: { status: "closed" },
    });
    await s.ctx.jobs.runNow("tickets.archive-sweep");
    const working = ids(await s.inject({ method: "GET", url: "/api/tickets/", headers: requester.headers }));
    expect(working).not.toContain(t.id);
    expect(working).toContain(fresh.id);
    expect(
      ids(
        await s.inject({
          method: "GET",
          url: "/api/tickets/?archived_only=true",
          headers: requester.headers,
        }),
      ),
    ).toEqual([t.id]);
    expect(
      ids(
        await s.inject({
          method: "GET",
          url: "/api/tickets/?include_archived=true",
          headers: requester.headers,
        }),
      ),
    ).toContain(t.id);
    expect(
      ids(await s.inject({ method: "GET", url: "/api/tickets/?q=zebra", headers: requester.headers })),
    ).toEqual([t.id]);
    const history = await s.inject({
      method: "GET",
      url: `/api/tickets/${t.id}/history/`,
      headers: requester.headers,
    });
    expect(history.json().results.at(-1).type).toBe("archived");
    // Reopening brings it back.
    await s.inject({
      method: "PATCH",
      url: `/api/tickets/${t.id}/`,
      headers: requester.headers,
      payload: { status: "open" },
    });
    expect(
      ids(await s.inject({ method: "GET", url: "/api/tickets/", headers: requester.headers })),
    ).toContain(t.id);
  });
});

describe("#attachments", () => {
  it("uploads, attaches to a ticket and a message, and downloads only for those who may see it", async () => {
    const upload = async (name: string, type: string, body: Buffer | string) => {
      const form = new FormData();
      form.append("file", new Blob([body], { type }), name);
      return s.inject({ method: "POST", url: "/api/upload/", headers: requester.headers, payload: form });
    };
    const png = Buffer.from(
      "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082",
      "hex",
    );
    const image = await upload("screen.png", "application/octet-stream", png);
    expect(image.statusCode).toBe(201);
    expect(image.json()).toMatchObject({
      filename: "screen.png",
      content_type: "image/png",
      size: png.length,
    });
    const exe = await upload("tool.bin", "image/png", Buffer.concat([Buffer.from("MZ"), Buffer.alloc(200)]));
    expect([201, 415]).toContain(exe.statusCode);
    const script = await upload("run.exe", "application/octet-stream", "whatever");
    expect(script.statusCode).toBe(415);
    expect(script.json().error.code).toBe("uploads.type_not_allowed");
    const html = await upload("page.html", "text/html", "<script>alert(1)</script>");
    expect(html.json().content_type).toBe("text/plain");

    const t = await create({ title: "With a screenshot", attachment_ids: [image.json().id] });
    const detail = await s.inject({
      method: "GET",
      url: `/api/tickets/${t.id}/`,
      headers: requester.headers,
    });
    expect(detail.json().attachments.map((a: { id: string }) => a.id)).toEqual([image.json().id]);
    const download = await s.inject({ method: "GET", url: image.json().url, headers: requester.headers });
    expect(download.statusCode).toBe(200);
    expect(download.headers["content-type"]).toBe("image/png");
    expect(download.rawPayload.equals(png)).toBe(true);
    const stranger = await s.actor("requester");
    expect(
      (await s.inject({ method: "GET", url: image.json().url, headers: stranger.headers })).statusCode,
    ).toBe(404);
    // Reusing an attached file is refused.
    const again = await s.inject({
      method: "POST",
      url: "/api/tickets/",
      headers: requester.headers,
      payload: { title: "x", attachment_ids: [image.json().id] },
    });
    expect(again.json().error.code).toBe("attachments.invalid");

    // Multipart on messages; a file on an internal note is hidden from the requester.
    const form = new FormData();
    form.append("ticket_id", String(t.id));
    form.append("text", "Лог во вложении");
    form.append("file", new Blob(["line 1\nline 2\n"], { type: "text/plain" }), "лог.txt");
    const operator = await s.actor("operator");
    const note = await s.inject({
      method: "POST",
      url: "/api/notes/",
      headers: operator.headers,
      payload: form,
    });
    expect(note.statusCode, note.body).toBe(201);
    const noteFile = note.json().attachments[0];
    expect(noteFile.filename).toBe("лог.txt");
    expect((await s.inject({ method: "GET", url: noteFile.url, headers: operator.headers })).body).toBe(
      "line 1\nline 2\n",
    );
    expect(
      (await s.inject({ method: "GET", url: noteFile.url, headers: requester.headers })).statusCode,
    ).toBe(404);
    const after = await s.inject({ method: "GET", url: `/api/tickets/${t.id}/`, headers: requester.headers });
    expect(after.json().attachments).toHaveLength(1);
  });

  it("refuses files over the size limit with 413", async () => {
    const form = new FormData();
    form.append("file", new Blob([Buffer.alloc(25 * 1024 * 1024 + 10)]), "big.bin");
    const res = await s.inject({
      method: "POST",
      url: "/api/upload/",
      headers: requester.headers,
      payload: form,
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe("uploads.too_large");
  });
});
