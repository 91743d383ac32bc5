-- Quarto conventions for plain pandoc, what the Typst writer leaves out, and the rules of
-- print and phone layout that belong to the markup. Both renderers run this filter, so
-- they give the same markup.
--
-- 1. Conditional content: keep a div marked .content-visible when-format="X" only when
--    rendering format X (html or typst).
-- 2. Language runs: pandoc's Typst writer drops the lang attribute of a span; wrap the span
--    in #text(lang: ...) so Chinese quotes in an English page are set as Chinese (and the
--    other way round). Only the two languages of the briefings are recognised.
-- 3. Small print: remarks under a table and metric definitions are set smaller in Typst;
--    the box of changes since the editors' review is set apart.
-- 4. Tables: columns sized by their content in both formats. In HTML each table sits in its
--    own box, and every body cell carries its column's header (data-label) so that on a
--    phone the stylesheet can show each row as a card with every column labelled. In
--    Typst, the paragraph just before a table is kept with it (sticky), so a table's
--    introduction never ends a page.
-- 5. Unbreakable runs: typography.lua (run before this filter) marks a figure with its unit,
--    and a citation mark with the word before it, as a span .nowrap: in Typst it is a box.
-- 6. Charts: an image whose file the front matter describes (figure-text: file -> alt,
--    caption) becomes one figure markup in both renderers: <figure><img alt><figcaption>
--    in HTML (the caption is not the alt text, so nothing is read twice), and
--    #figure(image(alt: ...), caption: ...) in Typst (PDF/UA needs the alt text).
-- 7. Links in a PDF: a relative link (../overview.en.html) is dead in a mailed PDF; it is
--    made absolute with base-url (_quarto.yml) and the page's page-path, or set as plain
--    text when no base-url is set.
-- 8. Addresses: a bare link to a percent-encoded address shows the address decoded (the
--    characters a reader can read), its target unchanged.
-- 9. Copyright: the year printed after © is the year of the document's date (publication),
--    unless the metadata names a year.
-- (10. Quotes: in typography.lua, with the other rules that do not depend on the format.)
local target = FORMAT:match("html") and "html" or (FORMAT:match("typst") and "typst" or FORMAT)
local TYPST_LANG = { ["zh-Hans"] = '#text(lang: "zh", region: "CN")[', ["en"] = '#text(lang: "en", region: "GB")[' }
local SMALL = '#block(above: 0.5em, below: 0.9em)[#set text(size: 8pt, fill: rgb("#444444")); '
local BOX = '#block(width: 100%, fill: rgb("#fbf1e6"), stroke: (left: 3pt + rgb("#8e2a1f")), inset: 8pt, radius: 2pt, below: 1em)['
local NBSP = "\u{a0}"

local meta = {}

-- content between a raw Typst opening (`#text(...)[`, `#block(...)[`) and its `]`
local function in_typst_call(open, content, raw)
  local wrapped = pandoc.List({ raw("typst", open) })
  wrapped:extend(content)
  wrapped:insert(raw("typst", "]"))
  return wrapped
end

local function html_escape(text)
  return (text:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

local function typst_string(text)
  return '"' .. text:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\n", " ") .. '"'
end

local function has_cjk(text)
  for _, code in utf8.codes(text) do
    if code >= 0x3000 and code <= 0x9fff or code >= 0xff00 and code <= 0xffef then
      return true
    end
  end
  return false
end

-- 7. links in a PDF --------------------------------------------------------------------
local function resolve(base, page, href)
  -- href relative to the page's folder, on the site at base
  local folder = page:match("^(.*)/[^/]*$") or ""
  local parts = {}
  for part in folder:gmatch("[^/]+") do
    parts[#parts + 1] = part
  end
  for part in href:gmatch("[^/]+") do
    if part == ".." then
      table.remove(parts)
    elseif part ~= "." then
      parts[#parts + 1] = part
    end
  end
  return base:gsub("/*$", "/") .. table.concat(parts, "/")
end

local function relative(href)
  return not href:match("^#") and not href:match("^%a[%w+.-]*:")
end

-- filters -------------------------------------------------------------------------------
local function Meta(m)
  -- 9. the copyright year is the publication year: the year of the document's date, unless
  --    the document (or _quarto.yml) names one
  local year = m.date and pandoc.utils.stringify(m.date):match("%d%d%d%d")
  if year and m.copyright ~= nil and pandoc.utils.type(m.copyright) == "table" and not m.copyright.year then
    m.copyright.year = pandoc.MetaString(year)
  end
  meta.base = m["base-url"] and pandoc.utils.stringify(m["base-url"]) or ""
  meta.page = m["page-path"] and pandoc.utils.stringify(m["page-path"]) or ""
  meta.figures = {}
  if m["figure-text"] then
    for file, text in pairs(m["figure-text"]) do
      meta.figures[file] = {
        alt = text.alt and pandoc.utils.stringify(text.alt) or "",
        caption = text.caption and (pandoc.utils.type(text.caption) == "Inlines" and text.caption or pandoc.Inlines(pandoc.utils.stringify(text.caption))) or pandoc.Inlines({}),
      }
    end
  end
  return m
end

local function Div(el)
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

local function Span(el)
  if target ~= "typst" then
    return nil
  end
  if el.classes:includes("nowrap") then
    return in_typst_call("#box[", el.content, pandoc.RawInline)
  end
  local open = TYPST_LANG[el.attributes["lang"] or ""]
  if el.classes:includes("definition") then
    open = '#text(size: 8pt, fill: rgb("#444444"))['
  end
  if open then
    return in_typst_call(open, el.content, pandoc.RawInline)
  end
end

-- an address as a reader reads it: percent-encoded UTF-8 (%E5%85%A9...) decoded into its
-- characters; an encoded ASCII character (%2F, %20) stays encoded, since decoding it could
-- change what the address says
local function readable_address(address)
  local decoded = address:gsub("%%([89A-Fa-f]%x)", function(hex) return string.char(tonumber(hex, 16)) end)
  return utf8.len(decoded) and decoded or address -- not UTF-8 (another encoding): left as it is
end

local function Link(el)
  -- a bare address (an autolink: its text is its target) shows its readable form; the
  -- target stays exactly as the source gives it
  if el.target:match("^https?:") and pandoc.utils.stringify(el.content) == el.target then
    local shown = readable_address(el.target)
    if shown ~= el.target then
      -- the decoded characters are Chinese (often traditional): marked as Chinese, without
      -- a script, so a screen reader does not spell them out as English
      local text = pandoc.Str(shown)
      el.content = pandoc.Inlines({ has_cjk(shown) and pandoc.Span({ text }, pandoc.Attr("", {}, { lang = "zh" })) or text })
    end
  end
  if target ~= "typst" or not relative(el.target) then
    return el
  end
  if meta.base ~= "" then
    el.target = resolve(meta.base, meta.page, el.target)
    return el
  end
  return el.content -- no address to link to: the text alone
end

local function header_labels(el)
  local labels = {}
  local head = el.head and el.head.rows and el.head.rows[#el.head.rows]
  if head then
    for i, cell in ipairs(head.cells) do
      labels[i] = pandoc.utils.stringify(cell.contents)
    end
  end
  return labels
end

local function Table(el)
  -- columns sized by their content (a long pipe-table line would otherwise give every
  -- column the same fixed share, squeezing the text columns)
  for i, spec in ipairs(el.colspecs) do
    el.colspecs[i] = { spec[1], pandoc.ColWidthDefault }
  end
  if target == "html" then
    local labels = header_labels(el)
    for _, body in ipairs(el.bodies) do
      for _, row in ipairs(body.body) do
        for i, cell in ipairs(row.cells) do
          if labels[i] and labels[i] ~= "" then
            cell.attributes["data-label"] = labels[i]
          end
          if #cell.contents == 0 or pandoc.utils.stringify(cell.contents) == "" then
            cell.classes:insert("empty")
          end
        end
      end
    end
    return pandoc.Div({ el }, pandoc.Attr("", { "table-scroll" }))
  end
  return el
end

local function chart(el)
  -- a Figure (or a paragraph holding only an image) whose image the front matter describes
  local image
  if el.t == "Para" then
    if #el.content ~= 1 or el.content[1].t ~= "Image" then
      return nil
    end
    image = el.content[1]
  else
    el:walk({ Image = function(img) image = image or img end })
  end
  if not image or not meta.figures or not meta.figures[image.src] then
    return nil
  end
  local text = meta.figures[image.src]
  if target == "html" then
    local caption = pandoc.write(pandoc.Pandoc({ pandoc.Plain(text.caption) }), "html"):gsub("\n$", "")
    local img = '<img src="' .. html_escape(image.src) .. '" alt="' .. html_escape(text.alt) .. '" />'
    if image.src:match("^fig%-matrix%.") then
      -- the heat map is wider than a phone: there it keeps its size (its text readable) and
      -- scrolls sideways in its own frame, which the keyboard can reach
      local id = "caption-" .. image.src:gsub("%.svg$", ""):gsub("[^%w-]", "-")
      return pandoc.RawBlock("html", '<figure class="chart chart-wide">\n<div class="chart-frame" tabindex="0" role="region" '
        .. 'aria-labelledby="' .. id .. '">' .. img .. '</div>\n<figcaption id="' .. id .. '">' .. caption
        .. "</figcaption>\n</figure>")
    end
    return pandoc.RawBlock("html", '<figure class="chart">\n' .. img .. '\n<figcaption>' .. caption .. "</figcaption>\n</figure>")
  end
  if target == "typst" then
    local open = "#figure(image(" .. typst_string(image.src) .. ", alt: " .. typst_string(text.alt) .. "), caption: ["
    return { pandoc.RawBlock("typst", open), pandoc.Plain(text.caption), pandoc.RawBlock("typst", "])") }
  end
end

-- 5. in Typst, text that starts a paragraph or a list item with a markup sign (= a heading,
-- + or 2. a numbered item, / a term, - a bullet) is that markup: pandoc's Typst writer does
-- not escape it there (pandoc#9586 kind), so the sign is written escaped. Data and editors'
-- wording reach these places; whatever they hold prints as written.
local function escape_leading_markup(el)
  if target ~= "typst" then
    return nil
  end
  local first = el.content[1]
  if not first or first.t ~= "Str" then
    return nil
  end
  local sign, rest = first.text:match("^([=+/%-])(.*)$")
  if not sign then
    local digits, after = first.text:match("^(%d+)(%..*)$")
    if not digits then
      return nil
    end
    sign, rest = digits .. "\\", after
    el.content[1] = pandoc.RawInline("typst", sign)
    el.content:insert(2, pandoc.Str(rest))
    return el
  end
  el.content[1] = pandoc.RawInline("typst", "\\" .. sign)
  if rest ~= "" then
    el.content:insert(2, pandoc.Str(rest))
  end
  return el
end

local function Blocks(blocks)
  -- 4. in Typst, the paragraph that introduces a table stays with it
  if target ~= "typst" then
    return nil
  end
  local out = pandoc.List()
  for i, block in ipairs(blocks) do
    local nxt = blocks[i + 1]
    if block.t == "Para" and nxt and nxt.t == "Table" then
      out:extend(in_typst_call("#block(sticky: true)[", { block }, pandoc.RawBlock))
    else
      out:insert(block)
    end
  end
  return out
end

return {
  { Meta = Meta },
  { Div = Div },
  { Figure = chart, Para = chart },
  { Span = Span, Link = Link, Table = Table },
  { Blocks = Blocks },
  { Para = escape_leading_markup, Plain = escape_leading_markup },
}
