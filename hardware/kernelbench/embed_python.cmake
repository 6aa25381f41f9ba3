# Writes OUTPUT, a C++ file defining one function per Python source that
# returns the file's bytes: cmake -DOUTPUT=x.cpp -DSOURCES="name=path;..." -P embed_python.cmake
# The bytes become an array of numbers, so no text in the file can end a
# string literal early.
set(_text "// Generated from the Python sources of hardware/kernelbench by embed_python.cmake. Do not edit.\n")
string(APPEND _text "#include \"hardware/kernelbench/python_sources.hpp\"\n\nnamespace kforge::hardware {\n")
foreach(_pair IN LISTS SOURCES)
  string(REPLACE "=" ";" _parts "${_pair}")
  list(GET _parts 0 _name)
  list(GET _parts 1 _path)
  file(READ "${_path}" _hex HEX)
  string(LENGTH "${_hex}" _digits)
  math(EXPR _bytes "${_digits} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," _array "${_hex}")
  string(REPEAT "0x..," 16 _row)
  string(REGEX REPLACE "(${_row})" "\\1\n    " _array "${_array}")
  string(APPEND _text "\nstd::string_view ${_name}() {\n  static constexpr unsigned char bytes[] = {\n    ${_array}0x00};\n"
         "  return {reinterpret_cast<const char*>(bytes), ${_bytes}};\n}\n")
endforeach()
string(APPEND _text "\n}  // namespace kforge::hardware\n")
file(WRITE "${OUTPUT}.tmp" "${_text}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
