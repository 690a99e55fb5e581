package io.meshclient.spring.internal;

/**
 * One bad {@code meshclient.*} property.
 *
 * @param property the property name, as written in application.properties
 * @param value the offending value
 * @param expected what would be right
 */
public record PropertyProblem(String property, String value, String expected) {

  @Override
  public String toString() {
    return property + ": " + value + " (expected: " + expected + ")";
  }
}
