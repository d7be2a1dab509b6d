#!/usr/bin/python3
"""Tiny TorchScript models that break the model contract on purpose, for the bad-input tests.

Usage: /usr/bin/python3 src/test/python/make_test_models.py  (writes src/test/resources/models/)
"""
import os

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "models")


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, 2, 1)
        self.fc = nn.Linear(8, 10)

    def features(self, x):
        return torch.flatten(nn.functional.adaptive_avg_pool2d(torch.relu(self.conv(x)), 1), 1)


class LogitsOnly(Tiny):
    def forward(self, x):
        return self.fc(self.features(x))


class WrongLogits(Tiny):
    """Returns (features, logits) but the logits are not fc(features)."""

    def forward(self, x):
        h = self.features(x)
        return h, 2.0 * self.fc(h) + 1.0


class InfOnWhiteCorner(Tiny):
    """Follows the contract, but its features are infinite when the top-left pixel is 1.0."""

    def forward(self, x):
        h = self.features(x) / (1.0 - x[:, 0, 0, 0]).unsqueeze(1)
        return h, self.fc(h)


class Features3d(Tiny):
    """Returns features of shape [N, D, 1] instead of [N, D]."""

    def forward(self, x):
        h = self.features(x)
        return h.unsqueeze(2), self.fc(h)


class Good(Tiny):
    def forward(self, x):
        h = self.features(x)
        return h, self.fc(h)


def main():
    torch.manual_seed(7)
    os.makedirs(OUT, exist_ok=True)
    x = torch.rand(2, 1, 28, 28)
    for name, cls in [("logits-only", LogitsOnly), ("wrong-logits", WrongLogits), ("tiny-good", Good),
                      ("inf-on-white-corner", InfOnWhiteCorner), ("features-3d", Features3d)]:
        m = cls().eval()
        torch.jit.trace(m, x).save(os.path.join(OUT, name + ".pt"))
    with open(os.path.join(OUT, "not-torchscript.pt"), "wb") as f:
        f.write(b"this is not a TorchScript archive\n" * 10)


if __name__ == "__main__":
    main()
