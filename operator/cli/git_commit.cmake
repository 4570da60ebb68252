# Writes OUT, a C++ source defining mlmodel::cli::kGitCommit: the commit SOURCE_DIR is
# checked out at ("-dirty" with uncommitted changes; "" without git, as in the image build).
# Run on every build; the file is rewritten only when the commit changes, so an unchanged
# one rebuilds nothing.
execute_process(COMMAND git -C "${SOURCE_DIR}" describe --always --dirty --abbrev=12 --exclude=*
  OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  set(commit "")
endif()
set(content "#include \"cli/git_commit.h\"\n\nconst char* const mlmodel::cli::kGitCommit = \"${commit}\";\n")
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUT}" "${content}")
endif()
