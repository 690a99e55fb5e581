package io.meshclient.config.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

  @Test
  void parsesTheFormsPolicyFilesUse() {
    assertThat(Durations.parse("2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("250us")).isEqualTo(Duration.ofNanos(250_000));
    assertThat(Durations.parse("1m30s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(Durations.parse("0")).isEqualTo(Duration.ZERO);
    assertThat(Durations.parse("-1s")).isEqualTo(Duration.ofSeconds(-1));
  }

  @Test
  void rejectsWhatIsNotADuration() {
    for (String bad : new String[] {"2", "2 s", "s", "", "2sec", "1.2.3s", "PT2S"}) {
      assertThatThrownBy(() -> Durations.parse(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a duration");
    }
  }

  @Test
  void formatsTheShortestExactFormAndRoundTrips() {
    for (String s : new String[] {"2s", "500ms", "1m30s", "1.5s", "250us", "0", "1h", "7ns"}) {
      assertThat(Durations.format(Durations.parse(s))).isEqualTo(s);
      assertThat(Durations.fromProto(Durations.toProto(Durations.parse(s)))).isEqualTo(Durations.parse(s));
    }
  }
}
