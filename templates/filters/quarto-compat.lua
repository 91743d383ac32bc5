-- Quarto conventions for plain pandoc, and what the Typst writer leaves out.
--
-- 1. Conditional content: keep a div marked .content-visible when-format="X" only when
--    rendering format X (html or typst).
-- 2. Language runs: pandoc's Typst writer drops the lang attribute of a span; wrap the span
--    in #text(lang: ...) so Chinese quotes in an English page are set as Chinese (and the
--    other way round). Only the two languages of the briefings are recognised.
-- 3. Small print: remarks under a table and metric definitions are set smaller in Typst;
--    the box of changes since the editors' review is set apart.
-- 4. Tables: columns sized by their content in both formats; in HTML each table sits in its
--    own box that scrolls sideways on a narrow screen (scrolling the table itself would need
--    display: block, which splits its header and body into two tables whose columns no
--    longer line up).
local target = FORMAT:match("html") and "html" or (FORMAT:match("typst") and "typst" or FORMAT)
local TYPST_LANG = { ["zh-Hans"] = '#text(lang: "zh", region: "CN")[', ["en"] = '#text(lang: "en", region: "GB")[' }
local SMALL = '#block(above: 0.5em, below: 0.9em)[#set text(size: 8pt, fill: rgb("#444444")); '
local BOX = '#block(width: 100%, fill: rgb("#fbf1e6"), stroke: (left: 3pt + rgb("#8e2a1f")), inset: 8pt, radius: 2pt, below: 1em)['


-- content between a raw Typst opening (`#text(...)[`, `#block(...)[`) and its `]`
local function in_typst_call(open, content, raw)
  local wrapped = pandoc.List({ raw("typst", open) })
  wrapped:extend(content)
  wrapped:insert(raw("typst", "]"))
  return wrapped
end

function Div(el)
  if el.classes:includes("content-visible") then
    local when = el.attributes["when-format"]
    if when and when ~= target then
      return {}
    end
    return el.content
  end
  if target == "typst" and el.classes:includes("changes") then
    return in_typst_call(BOX, el.content, pandoc.RawBlock)
  end
  if target == "typst" and (el.classes:includes("remarks") or el.classes:includes("page-links")) then
    return in_typst_call(SMALL, el.content, pandoc.RawBlock)
  end
end

function Span(el)
  if target ~= "typst" then
    return nil
  end
  local open = TYPST_LANG[el.attributes["lang"] or ""]
  if el.classes:includes("definition") then
    open = '#text(size: 8pt, fill: rgb("#444444"))['
  end
  if open then
    return in_typst_call(open, el.content, pandoc.RawInline)
  end
end

function Table(el)
  -- columns sized by their content (a long pipe-table line would otherwise give every
  -- column the same fixed share, squeezing the text columns)
  for i, spec in ipairs(el.colspecs) do
    el.colspecs[i] = { spec[1], pandoc.ColWidthDefault }
  end
  if target == "html" then
    return pandoc.Div({ el }, pandoc.Attr("", { "table-scroll" }))
  end
  return el
end
