package org.maespark.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.maespark.conf.ConfigException;
import org.maespark.conf.Settings;

class MaeConfigTest {
  private static final MaeConfig B = MaeConfig.preset("vit-b-16");

  private static MaeConfig with(int img, int patch, int chans, int dim, int heads, double mask) {
    return new MaeConfig(img, patch, chans, dim, 1, heads, 16, 1, 2, 4.0, mask, true, false);
  }

  private static void refused(String field, String value, Runnable build) {
    ConfigException e = assertThrows(ConfigException.class, build::run);
    assertTrue(
        e.getMessage().contains("model." + field + " = " + value),
        "message should name the field and value: " + e.getMessage());
  }

  @Test
  void invalidConfigsAreRefusedNamingFieldAndValue() {
    refused("img_size", "30", () -> with(30, 4, 3, 32, 2, 0.75));
    refused("in_chans", "2", () -> with(32, 4, 2, 32, 2, 0.75));
    refused("embed_dim", "36", () -> with(32, 4, 3, 36, 8, 0.75));
    refused("embed_dim", "30", () -> with(32, 4, 3, 30, 3, 0.75));
    refused("mask_ratio", "0.0", () -> with(32, 4, 3, 32, 2, 0.0));
    refused("mask_ratio", "1.0", () -> with(32, 4, 3, 32, 2, 1.0));
    refused("mask_ratio", "0.99", () -> with(8, 4, 3, 32, 2, 0.99));
    refused("patch", "0", () -> with(32, 0, 3, 32, 2, 0.75));
    refused(
        "decoder_embed_dim",
        "16",
        () -> new MaeConfig(32, 4, 3, 32, 1, 2, 16, 1, 3, 4.0, 0.75, true, false));
    refused("preset", "vit-z", () -> MaeConfig.preset("vit-z"));
  }

  @Test
  void derivedSizesFollowTheOfficialCode() {
    assertEquals(196, B.numPatches());
    assertEquals(49, B.lenKeep()); // int(196 * 0.25)
    assertEquals(768, B.patchDim());
    assertEquals(3 * 224 * 224, B.imageDim());
    assertEquals(6, with(16, 4, 1, 32, 2, 0.6).lenKeep()); // floor(16 * 0.4 = 6.4)
  }

  /** ViT-B/16 MAE with its decoder: 111.66M trainable, 111.9M with the frozen pos embeddings. */
  @Test
  void presetParameterCountsMatchThePaperModels() {
    assertEquals(111_655_680L, MaeParams.of(B).count());
    long pos = 197L * (768 + 512);
    assertEquals(111_907_840L, MaeParams.of(B).count() + pos);
    assertEquals(329_239_296L, MaeParams.of(MaeConfig.preset("vit-l-16")).count());
    assertEquals(656_613_964L, MaeParams.of(MaeConfig.preset("vit-h-14")).count());
    for (String p : MaeConfig.PRESETS) {
      assertTrue(MaeParams.of(MaeConfig.preset(p)).count() > 0, p);
    }
    // the all-token variant has an encoder mask token instead of the decoder's
    assertEquals(
        MaeParams.of(B).count() + 768 - 512, MaeParams.of(B.withEncoderMaskTokens(true)).count());
  }

  @Test
  void benchPresetsAreTheReferenceConfigs() {
    MaeConfig t = MaeConfig.preset("tiny-32");
    assertEquals(
        List.of(32, 4, 3, 192, 12, 3, 128, 4, 4),
        List.of(
            t.imgSize(),
            t.patch(),
            t.inChans(),
            t.embedDim(),
            t.depth(),
            t.heads(),
            t.decoderEmbedDim(),
            t.decoderDepth(),
            t.decoderHeads()));
    MaeConfig f = MaeConfig.preset("fmnist-28");
    assertEquals(
        List.of(28, 4, 1, 128, 6, 4, 64, 2, 4),
        List.of(
            f.imgSize(),
            f.patch(),
            f.inChans(),
            f.embedDim(),
            f.depth(),
            f.heads(),
            f.decoderEmbedDim(),
            f.decoderDepth(),
            f.decoderHeads()));
    assertTrue(t.normPixLoss() && f.normPixLoss());
    assertFalse(t.encoderMaskTokens());
  }

  @Test
  void fromSettingsReadsPresetThenOverridesAndRoundTrips() {
    Settings s =
        Settings.load(
            null,
            List.of("model.preset=fmnist-28", "model.depth=3", "model.encoder_mask_tokens=true"));
    MaeConfig c = MaeConfig.fromSettings(s);
    s.requireAllKnown();
    assertEquals(3, c.depth());
    assertEquals(128, c.embedDim());
    assertTrue(c.encoderMaskTokens());
    Settings back = Settings.empty();
    for (var e : c.toSettings().entrySet()) {
      back = back.with(e.getKey(), e.getValue());
    }
    assertEquals(c, MaeConfig.fromSettings(back));
  }

  @Test
  void fromSettingsRefusesBadValuesNamingTheKey() {
    Settings s = Settings.load(null, List.of("model.preset=tiny-32", "model.heads=5"));
    ConfigException e = assertThrows(ConfigException.class, () -> MaeConfig.fromSettings(s));
    assertTrue(e.getMessage().contains("model.embed_dim = 192"), e.getMessage());
    Settings bad = Settings.load(null, List.of("model.mask_ratio=lots"));
    ConfigException e2 = assertThrows(ConfigException.class, () -> MaeConfig.fromSettings(bad));
    assertTrue(e2.getMessage().contains("model.mask_ratio"), e2.getMessage());
  }

  @Test
  void graphNamesHaveNoUnderscoreAndMapBack() {
    for (MaeParams.Spec p : MaeParams.of(B.withEncoderMaskTokens(true)).specs()) {
      assertFalse(p.graphName().contains("_"), p.graphName());
    }
    assertEquals(
        "decoderBlocks.0.mlp.fc1.bias", MaeParams.toGraphName("decoder_blocks.0.mlp.fc1.bias"));
  }
}
