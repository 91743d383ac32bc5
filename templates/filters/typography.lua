-- Typography that is the same in every output format: run once per document, before
-- quarto-compat.lua (both renderers run both, in that order; the built-in renderer runs this
-- one once for all the formats of a document, since it never reads the output format).
--
-- 5. Unbreakable runs: a figure and its unit ("≥ CNY 5 billion", "19.63 万个") and a
--    citation mark with the word before it are kept on one line: marked as a span .nowrap
--    (which quarto-compat.lua sets as a box in Typst; the stylesheet keeps it whole in HTML).
-- 10. Quotes: straight quotes in English text become typographic ones (’ ‘ “ ”), as
--    pandoc's `smart` extension would set them if the documents did not escape them.
--
-- Metadata: every value is treated on its own (the built-in renderer relies on it: the
-- defaults only one output format has go through this filter apart, with the document's
-- language).

-- a run kept on one line
local function nowrap(inlines)
  return { pandoc.Span(inlines, pandoc.Attr("", { "nowrap" })) }
end

-- 5. figures with their units, citation marks with their word ---------------------------
local QUALIFIER = { ["≥"] = true, ["≤"] = true, ["≈"] = true, ["~"] = true, ["约"] = true }
local CURRENCY = { CNY = true, RMB = true, USD = true }
local UNIT_WORDS = {
  billion = true, million = true, thousand = true, trillion = true, yuan = true, percent = true,
  FLOPS = true, PFLOPS = true, EFLOPS = true, TFLOPS = true, P = true, E = true, T = true,
  GW = true, MW = true, kW = true, PB = true, TB = true, km = true,
}
-- Chinese units and measure words that follow a number (万 亿 个 家 ...)
local CJK_UNITS = "万亿千百元个家项条座所名人次张卡块台套件倍年月日%%"

local function is_number(text)
  return text:match("%d[%d,%.]*$") ~= nil
end

local function unit_prefix(text)
  -- the unit at the start of a Str: a unit word, or a run of Chinese units
  local word = text:match("^([%a]+)")
  if word and UNIT_WORDS[word] then
    return word, text:sub(#word + 1)
  end
  local prefix = ""
  for _, code in utf8.codes(text) do
    local ch = utf8.char(code)
    if CJK_UNITS:find(ch, 1, true) then
      prefix = prefix .. ch
    else
      break
    end
  end
  if prefix ~= "" then
    return prefix, text:sub(#prefix + 1)
  end
  return nil, text
end

local function has_cjk(text)
  for _, code in utf8.codes(text) do
    if code >= 0x3000 and code <= 0x9fff or code >= 0xff00 and code <= 0xffef then
      return true
    end
  end
  return false
end

local function last_chars(text, n)
  -- split a Str into (head, its last n characters)
  local positions = {}
  for pos in utf8.codes(text) do
    positions[#positions + 1] = pos
  end
  if #positions <= n then
    return "", text
  end
  local cut = positions[#positions - n + 1]
  return text:sub(1, cut - 1), text:sub(cut)
end

local function join_runs(inlines)
  -- nil when nothing joined: pandoc then keeps the list as it was, unmarshalled (most lists).
  -- Every property read crosses into pandoc, so each element's type and text are read once
  -- (kinds, texts), and a list with no figure or citation mark in it is left at once.
  local n = #inlines
  if n < 2 then
    return nil
  end
  local kinds, texts = {}, {}
  for k = 1, n do
    kinds[k] = inlines[k].t
  end
  local function text(k)
    local value = texts[k]
    if value == nil then
      value = inlines[k].text
      texts[k] = value
    end
    return value
  end
  local function cite(k)
    return kinds[k] == "Superscript"
  end
  local function starts_figure(k)
    if kinds[k] ~= "Str" or kinds[k + 1] ~= "Space" then
      return false
    end
    local value = text(k)
    return QUALIFIER[value] or CURRENCY[value] or is_number(value)
  end
  local candidate = false
  for k = 1, n - 1 do
    if (kinds[k] == "Str" or kinds[k] == "Strong") and cite(k + 1) or starts_figure(k) then
      candidate = true
      break
    end
  end
  if not candidate then
    return nil
  end
  local out = pandoc.List()
  local changed = false
  local i = 1
  while i <= n do
    local el = inlines[i]
    local kind = kinds[i]
    -- a figure: [qualifier] [currency] number [unit], separated by spaces
    if starts_figure(i) then
      -- only the number itself joins the run: the text before it ("（2025") stays breakable
      local head, number = text(i):match("^(.-)(%d[%d,%.]*)$")
      if head and head ~= "" then
        out:insert(pandoc.Str(head))
        el = pandoc.Str(number)
        inlines[i] = el
        texts[i] = number
        changed = true
      end
      local run = pandoc.List({ el })
      local j = i -- the last element taken into the run
      local rest = nil -- what follows the unit in the Str the unit starts
      while j + 2 <= n and kinds[j + 1] == "Space" and kinds[j + 2] == "Str" do
        local prev, nxt = text(j), text(j + 2)
        if QUALIFIER[prev] or CURRENCY[prev] then
          -- "≥ 5", "CNY 5", "≥ CNY"
          if not (nxt:match("^%d") or CURRENCY[nxt]) then
            break
          end
          run:insert(pandoc.Space())
          j = j + 2
          local number, after = nxt:match("^(%d[%d,%.]*)(.*)$")
          if not number or after == "" then
            run:insert(inlines[j]) -- "CNY", or a number alone
          else
            -- "50%：据……": the number and a unit written onto it join; the text after does not
            run:insert(pandoc.Str(number))
            local unit, remainder = unit_prefix(after)
            if unit then
              run:insert(pandoc.Str(unit))
            end
            rest = (unit and remainder or after)
            rest = rest ~= "" and rest or nil
            break
          end
        elseif is_number(prev) then
          local unit, after = unit_prefix(nxt)
          if unit then
            run:insert(pandoc.Space())
            run:insert(pandoc.Str(unit))
            j = j + 2
            rest = after ~= "" and after or nil
          end
          break
        else
          break
        end
      end
      if #run > 1 then
        changed = true
        -- a citation mark right after the figure stays with it too
        if not rest then
          while cite(j + 1) do
            run:insert(inlines[j + 1])
            j = j + 1
          end
        end
        out:extend(nowrap(run))
        if rest then
          out:insert(pandoc.Str(rest))
        end
        i = j + 1
      else
        out:insert(el)
        i = i + 1
      end
    -- a citation mark (superscript) kept with the word (or the last Chinese characters) before it
    elseif kind == "Strong" and cite(i + 1) then
      -- a bold figure in a table and its remark letter
      changed = true
      local run = pandoc.List({ el })
      local j = i + 1
      while cite(j) do
        run:insert(inlines[j])
        j = j + 1
      end
      out:extend(nowrap(run))
      i = j
    elseif kind == "Str" and cite(i + 1) then
      changed = true
      local head, tail
      if has_cjk(text(i)) then
        head, tail = last_chars(text(i), 2)
      else
        head, tail = "", text(i)
      end
      if head ~= "" then
        out:insert(pandoc.Str(head))
      end
      local run = pandoc.List({ pandoc.Str(tail) })
      local j = i + 1
      while cite(j) do
        run:insert(inlines[j])
        j = j + 1
      end
      out:extend(nowrap(run))
      i = j
    else
      out:insert(el)
      i = i + 1
    end
  end
  if changed then
    return out
  end
  return nil
end

-- 10. typographic quotes in English ------------------------------------------------------
-- The documents escape every quote (data is never markup), so pandoc's `smart` extension
-- never sees one: an English page would print Henan's and 'AI+' with straight marks
-- beside the curly ones of the interface. Here a straight ' becomes ’ (an apostrophe or a
-- closing quote) or ‘ (an opening quote, after a space or an opening bracket), and " becomes
-- “ or ”. Only English text is touched: a run marked as Chinese, code and addresses keep
-- their characters, and a Chinese page is left as it is.
local OPENS_AFTER = { [" "] = true, ["\u{a0}"] = true, ["("] = true, ["["] = true, ["{"] = true, ["“"] = true,
  ["‘"] = true, ["—"] = true, ["–"] = true, ["/"] = true }

local function english(lang)
  return lang ~= nil and lang:match("^en") ~= nil
end

local function last_char(text)
  local last
  for _, code in utf8.codes(text) do
    last = code
  end
  return last and utf8.char(last) or nil
end

local curled = false -- whether a quote was curled since the flag was cleared (see changed_by)

local function curl(text, prev)
  -- text with its straight quotes curled; prev is the character before it (" " at a start)
  if not text:find("['\"]") then
    return text, last_char(text) or prev
  end
  curled = true
  local chars = {}
  for _, code in utf8.codes(text) do
    chars[#chars + 1] = utf8.char(code)
  end
  for i, ch in ipairs(chars) do
    local opens = OPENS_AFTER[prev] == true
    if ch == "'" then
      local nxt = chars[i + 1] or " "
      local elided_year = table.concat(chars, "", i + 1, math.min(i + 3, #chars)):match("^%d%ds$") -- the '90s
      chars[i] = (opens and not nxt:match("^[%s%p]") and not elided_year) and "‘" or "’"
    elseif ch == '"' then
      chars[i] = opens and "“" or "”"
    end
    prev = chars[i]
  end
  return table.concat(chars), prev
end

local smart_blocks

local function smart_inlines(inlines, is_english, prev)
  prev = prev or " "
  for _, el in ipairs(inlines) do
    if el.t == "Str" then
      if is_english then
        el.text, prev = curl(el.text, prev)
      else
        prev = last_char(el.text) or prev
      end
    elseif el.t == "Space" or el.t == "SoftBreak" or el.t == "LineBreak" then
      prev = " "
    elseif el.t == "Link" and el.classes:includes("uri") then
      prev = "/" -- an address is shown as it is
    elseif el.t == "Span" and el.attributes["lang"] then
      smart_inlines(el.content, english(el.attributes["lang"]), prev)
      prev = last_char(pandoc.utils.stringify(el.content)) or prev
    elseif el.t == "Note" then
      el.content = smart_blocks(el.content, is_english)
      curled = true
    elseif el.content ~= nil and el.t ~= "Code" then
      prev = select(2, smart_inlines(el.content, is_english, prev))
    elseif el.text ~= nil then
      prev = last_char(el.text) or prev
    end
  end
  return inlines, prev
end

-- what smart_inlines did to an element: it, when a quote was curled in it, else nil (pandoc
-- then keeps the element as it was, without marshalling it back: most have no quotes)
local function changed_by(el, is_english)
  local before = curled
  curled = false
  smart_inlines(el.content or el, is_english)
  local mine = curled
  curled = before or mine
  if mine then
    return el
  end
  return nil
end

-- whether the document has a note: a note's text is not in pandoc.utils.stringify of its block
local has_notes = true

local function without_quotes(el)
  -- nothing to curl in el (its text, outside notes, has no straight quote): left unread
  return not has_notes and not pandoc.utils.stringify(el):find("['\"]")
end

smart_blocks = function(blocks, is_english)
  local function inlines_of(el)
    if without_quotes(el) then
      return nil, false
    end
    return changed_by(el, is_english), false
  end
  return pandoc.Blocks(blocks):walk({
    traverse = "topdown",
    Div = function(el)
      if el.attributes["lang"] then
        el.content = smart_blocks(el.content, english(el.attributes["lang"]))
        curled = true
        return el, false
      end
    end,
    Para = inlines_of,
    Plain = inlines_of,
    Header = inlines_of,
    Inlines = function(inlines) -- a table's or a figure's caption
      if without_quotes(inlines) then
        return nil, false
      end
      return changed_by(inlines, is_english), false
    end,
  })
end

local function smart_meta(value, is_english)
  local kind = pandoc.utils.type(value)
  if kind == "Inlines" then
    return (smart_inlines(value, is_english))
  elseif kind == "Blocks" then
    return smart_blocks(value, is_english)
  elseif kind == "string" then
    return (curl(value, " "))
  elseif kind == "List" or kind == "table" then
    for k, v in pairs(value) do
      value[k] = smart_meta(v, is_english)
    end
  end
  return value
end

local KEEP_META = { ["base-url"] = true, ["page-path"] = true, ["build-id"] = true, date = true, lang = true }

local function smart_quotes(doc)
  local lang = doc.meta.lang and pandoc.utils.stringify(doc.meta.lang) or ""
  if not english(lang) then
    return nil
  end
  has_notes = false
  doc:walk({ -- the body and the metadata
    Note = function()
      has_notes = true
    end,
  })
  for key, value in pairs(doc.meta) do
    if not KEEP_META[key] then
      doc.meta[key] = smart_meta(value, true)
    end
  end
  doc.blocks = smart_blocks(doc.blocks, true)
  return doc
end

return {
  { Pandoc = smart_quotes },
  { Inlines = join_runs },
}
