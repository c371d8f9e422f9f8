# Fails unless README.md contains examples/readme_example.cc verbatim, so the example a user
# copies from the README is the one the test suite compiles and runs.
file(READ "${README}" readme)
file(READ "${EXAMPLE}" example)
string(FIND "${readme}" "${example}" position)
if(position EQUAL -1)
  message(FATAL_ERROR "README.md does not contain ${EXAMPLE} verbatim; update the README's example")
endif()
