// Strings from user files (node names, event fields, check messages,
// scenario lines) printed on a terminal: control characters are shown as
// escapes, so a trace or scenario cannot move the cursor, retitle the
// window or hide text with ESC sequences, and a NUL cannot truncate a line.
// One helper for every such print.
#pragma once
#include <string>
#include <string_view>

namespace dsim {

// C0 controls and DEL as \xNN (NUL as \0), the C1 controls as \u0080..
// \u009f, a byte that is not valid UTF-8 as \xNN. Tab stays a tab;
// `keep_newlines` keeps '\n' (multi-line messages). Backslashes are left
// alone: this is for reading, not for parsing back.
std::string printable(std::string_view s, bool keep_newlines = false);

}  // namespace dsim
