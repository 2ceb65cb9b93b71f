# embed_bytes.cmake - the part cmake/embed.cmake and cmake/embed_web.cmake
# share: one file as a C array definition.
#   embed_bytes(<file> <array name> <body var> <length var>)
# appends "static const char <name>[] = {...,0x00};" to <body var> and sets
# <length var> to the file's size (the NUL is not counted).
function(embed_bytes file name body_var len_var)
  file(READ ${file} hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  set(${body_var} "${${body_var}}static const char ${name}[] = {${bytes}0x00};\n" PARENT_SCOPE)
  set(${len_var} ${len} PARENT_SCOPE)
endfunction()
