-- Render briefings in one pandoc process: `pandoc lua pandoc_batch.lua REQUEST.json`, or
-- `pandoc lua pandoc_batch.lua --serve` to answer one request per line of standard input
-- (a worker keeps one such process, so pandoc's start-up and first-read warm-up are paid once).
--
-- What `pandoc FILE --from markdown --to FORMAT --sandbox --lua-filter F --standalone
-- --template T ...` does for one document and one format, done here for every document
-- and format of a request: the markdown is read once per document (with no file access,
-- like --sandbox), each format is written from its own copy of the tree after the
-- filters ran with FORMAT set, with the same template, variables and metadata. One
-- process instead of one per document and format: pandoc's start-up is paid once.
-- tests/test_shortcuts.py checks the outputs equal pandoc's command line byte for byte.
--
-- Request (JSON): {"reader": "markdown-...", "document_filters": [paths], "filters": [paths],
--   "formats": {"html5": {...}, "typst": {...}},
--   "documents": [{"input": path, "outputs": {"html5": path, "typst": path}}]}
-- where a format has "template" (path; none: the body only), "variables" (name -> string),
-- "metadata" (defaults, like --metadata-file), "toc" (bool), "toc_depth" (int),
-- "number_sections"; a document may have an "id_prefix" for its identifiers and links, and
-- an "ast" (a path: the document as read, in pandoc's JSON; read from there if present,
-- else written there).
-- Answers one JSON line per request: {"results": [{"input": path, "error": null or message}]}.
--
-- Nothing carries over from one document to the next but the compiled templates (the same
-- files throughout a build): each document is read afresh (or from its "ast") and each format written from its
-- own copy of the tree.

local function read_file(path)
  local handle = assert(io.open(path, "r"))
  local text = handle:read("a")
  handle:close()
  return text
end

local function write_file(path, text)
  local handle = assert(io.open(path, "w"))
  handle:write(text)
  handle:close()
end

-- "ast": the document as pandoc read it, kept as pandoc's JSON beside it: read from there when
-- it exists (a re-render whose document did not change skips the markdown reader, the
-- costliest step; the build keeps the file only while it is intact), else written there.
local function read_ast(path)
  local handle = io.open(path, "r")
  if not handle then
    return nil
  end
  local text = handle:read("a")
  handle:close()
  local ok, doc = pcall(pandoc.read, text, "json")
  return ok and doc or nil
end

local templates = {}
local function template(path)
  if not templates[path] then
    templates[path] = pandoc.template.compile(read_file(path), path)
  end
  return templates[path]
end

local function with_defaults(doc, defaults)
  -- --metadata-file: its values apply where the document has none
  for key, value in pairs(defaults or {}) do
    if doc.meta[key] == nil then
      doc.meta[key] = value
    end
  end
  return doc
end

local function prefix_ids(doc, prefix)
  -- one document among others (the review pack): its identifiers, and its links to them, get a prefix
  local function ident(el)
    if el.identifier and el.identifier ~= "" then
      el.identifier = prefix .. el.identifier
    end
    return el
  end
  return doc:walk({
    Header = ident, Div = ident, Span = ident, Figure = ident, Table = ident,
    Link = function(link)
      if link.target:sub(1, 1) == "#" then
        link.target = "#" .. prefix .. link.target:sub(2)
      end
      return link
    end,
  })
end

local function run_filters(doc, filters)
  for _, filter in ipairs(filters or {}) do
    doc = pandoc.utils.run_lua_filter(doc, filter)
  end
  return doc
end

-- "document_filters": the first filters, which never read the output format (the renderer
-- checks): run once per document, on its tree with the metadata defaults that all its formats
-- share, instead of once per format. A default that only some formats have goes through
-- them on its own, in a tree that holds it and the document's lang: the same as in the
-- whole tree for filters that treat each metadata value apart (typography.lua does).
local function same(a, b)
  return pandoc.json.encode(a) == pandoc.json.encode(b)
end

local function shared_defaults(request, document)
  local shared
  for name in pairs(document.outputs) do
    local defaults = request.formats[name].metadata or {}
    if shared == nil then
      shared = {}
      for key, value in pairs(defaults) do
        shared[key] = value
      end
    else
      for key, value in pairs(shared) do
        if defaults[key] == nil or not same(defaults[key], value) then
          shared[key] = nil
        end
      end
    end
  end
  return shared or {}
end

local function filtered_once(request, doc, document)
  if #(request.document_filters or {}) == 0 then
    return nil
  end
  return run_filters(with_defaults(doc:clone(), shared_defaults(request, document)), request.document_filters)
end

local function own_defaults(request, shared, defaults)
  -- the defaults of one format that the tree filtered once lacks, through the document filters
  local own = {}
  for key, value in pairs(defaults or {}) do
    if shared.meta[key] == nil then
      own[key] = value
    end
  end
  if next(own) == nil then
    return own
  end
  local alone = with_defaults(pandoc.Pandoc({}, { lang = shared.meta.lang }), own)
  alone = run_filters(alone, request.document_filters)
  local done = {}
  for key in pairs(own) do
    done[key] = alone.meta[key]
  end
  return done
end

local function render(request, doc, name, spec, shared)
  FORMAT = name == "html5" and "html5" or name
  local copy
  if shared then
    copy = with_defaults(shared:clone(), own_defaults(request, shared, spec.metadata))
  else
    copy = with_defaults(doc:clone(), spec.metadata)
  end
  copy = run_filters(copy, request.filters)
  if spec.id_prefix then
    copy = prefix_ids(copy, spec.id_prefix)
  end
  local options = {
    template = spec.template and template(spec.template) or nil,
    variables = spec.variables or {},
    table_of_contents = spec.toc or false,
    toc_depth = spec.toc_depth or 3,
    number_sections = spec.number_sections or false,
  }
  return pandoc.write(copy, name, options)
end

local function answer(request)
  local results = {}
  for _, document in ipairs(request.documents) do
    local ok, err = pcall(function()
      local doc = document.ast and read_ast(document.ast)
      if not doc then
        -- columns = 72: as on the command line (it decides when a wide pipe table gets relative widths)
        doc = pandoc.read(read_file(document.input), request.reader or "markdown", { columns = 72 }, {})
        if document.ast then
          write_file(document.ast, pandoc.write(doc, "json"))
        end
      end
      local shared = filtered_once(request, doc, document)
      for name, output in pairs(document.outputs) do
        local spec = request.formats[name]
        if document.id_prefix then
          spec = setmetatable({ id_prefix = document.id_prefix }, { __index = spec })
        end
        local text = render(request, doc, name, spec, shared)
        local handle = assert(io.open(output, "w"))
        handle:write(text)
        handle:close()
      end
    end)
    results[#results + 1] = { input = document.input, error = ok and pandoc.json.null or tostring(err) }
  end
  return pandoc.json.encode({ results = results })
end

if arg[1] == "--serve" then
  for line in io.lines() do
    local ok, reply = pcall(function() return answer(pandoc.json.decode(line, false)) end)
    io.stdout:write(ok and reply or pandoc.json.encode({ error = tostring(reply) }), "\n")
    io.stdout:flush()
  end
else
  print(answer(pandoc.json.decode(read_file(arg[1]), false)))
end
