package io.meshclient.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshclient.spring.app.ShopApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** A real application started with bad meshclient.* values stops with Boot's failure analysis. */
@ExtendWith(OutputCaptureExtension.class)
class InvalidPropertiesStartupTest {

  @Test
  void badValuesStopStartupWithAReportNamingPropertyValueOriginAndExpectation(CapturedOutput out) {
    assertThatThrownBy(
            () ->
                new SpringApplicationBuilder(ShopApplication.class)
                    .web(WebApplicationType.NONE)
                    .run(
                        "--meshclient.config.server-address=config.internal",
                        "--meshclient.node.labels.version=v2",
                        "--meshclient.identity.trust-domain=Example Org"))
        .hasRootCauseInstanceOf(
            io.meshclient.spring.internal.InvalidMeshPropertiesException.class);
    assertThat(out.getAll())
        .contains("APPLICATION FAILED TO START")
        .contains("MeshClient's configuration is invalid:")
        .contains("Property: meshclient.config.server-address")
        .contains("Value: config.internal")
        .contains("Origin: \"meshclient.config.server-address\" from property source \"commandLineArgs\"")
        .contains("Expected: host:port with a port in 1..65535, such as mesh-config:7070")
        .contains("Property: meshclient.identity.trust-domain")
        .contains("Expected: a SPIFFE trust domain")
        .contains("Update the meshclient.* properties of your application");
  }

  @Test
  void aValueOfTheWrongTypeIsReportedByBootNamingTheProperty(CapturedOutput out) {
    assertThatThrownBy(
            () ->
                new SpringApplicationBuilder(ShopApplication.class)
                    .web(WebApplicationType.NONE)
                    .run("--meshclient.registration.port=eighty"))
        .isNotNull();
    assertThat(out.getAll())
        .contains("APPLICATION FAILED TO START")
        .contains("meshclient.registration.port")
        .contains("eighty");
  }
}
