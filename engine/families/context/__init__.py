"""Context-ARTM family: TARTM one-pass E-step, context windows, segmentation."""
