package io.meshclient.config;

/**
 * One thing wrong with a policy file.
 *
 * @param file the file, as given
 * @param line 1-based line, or 0 when unknown
 * @param column 1-based column, or 0 when unknown
 * @param path the field path ({@code orders.retry.budget.ratio}), or the empty string for a problem
 *     with the file as a whole
 * @param message what is wrong, with the offending value and what was expected
 */
public record FileProblem(String file, int line, int column, String path, String message) {

  /** {@code file:line:column: path: message}, the form compilers use, so editors can jump to it. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(file);
    if (line > 0) {
      sb.append(':').append(line);
      if (column > 0) {
        sb.append(':').append(column);
      }
    }
    sb.append(": ");
    if (!path.isEmpty()) {
      sb.append(path).append(": ");
    }
    return sb.append(message).toString();
  }
}
