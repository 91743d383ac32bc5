-- Quarto conditional content for plain pandoc: keep a div marked
-- .content-visible when-format="X" only when rendering format X (html or typst).
local target = FORMAT:match("html") and "html" or (FORMAT:match("typst") and "typst" or FORMAT)

function Div(el)
  if el.classes:includes("content-visible") then
    local when = el.attributes["when-format"]
    if when and when ~= target then
      return {}
    end
    return el.content
  end
end
