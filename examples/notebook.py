# %% [markdown]
# # Associations from Python, as the JWST pipeline notebooks make them
#
# The official notebooks build their association files with jwst's
# `jwst.associations.asn_from_list.asn_from_list`. The `asn_from_list` package is the same
# function in Rust: only the import line changes. Run this file as a script
# (`python examples/notebook.py`) or open it as a notebook (the `# %%` lines are cells).

# %%
import json
import pathlib
import tempfile
import warnings

# was: from jwst.associations import asn_from_list as afl
import asn_from_list as afl

# The rules: jwst's classes work unchanged; without jwst, name them or use the stand-ins.
from asn_from_list.rules import DMS_Level3_Base, DMSLevel2bBase

work = pathlib.Path(tempfile.mkdtemp(prefix="asn_example_"))
science = [f"jw01234001001_03101_0000{i}_nrs1_rate.fits" for i in range(1, 4)]
backgrounds = [f"jw01234002001_03101_0000{i}_nrs1_rate.fits" for i in range(1, 3)]
for name in science + backgrounds:
    (work / name).write_bytes(b"SIMPLE  =")  # stand-ins for the exposures


# %% [markdown]
# ## Stage 2: one association per science exposure, backgrounds appended by hand


# %%
def writel2asn(onescifile, bgfiles, asnfile, prodname):
    asn = afl.asn_from_list([onescifile], rule=DMSLevel2bBase, product_name=prodname)
    for bgfile in bgfiles:
        asn["products"][0]["members"].append({"expname": bgfile, "exptype": "background"})
    asn.data["asn_type"] = "spec2"
    asn.data["program"] = "01234"
    _, serialized = asn.dump()
    asnfile.write_text(serialized)


for name in science:
    asnfile = work / name.replace("_rate.fits", "_asn.json")
    writel2asn(name, backgrounds, asnfile, "Level2")
    print(asnfile.name, "->", [m["expname"] for m in json.loads(asnfile.read_text())["products"][0]["members"]])

# %% [markdown]
# ## Stage 3: one product, named

# %%
asn = afl.asn_from_list([n.replace("_rate", "_cal") for n in science], rule=DMS_Level3_Base, product_name="l3_results")
asn.data["asn_type"] = "spec3"
name, serialized = asn.dump()
(work / name).write_text(serialized)
print(name, "holds", len(asn["products"][0]["members"]), "members")

# %% [markdown]
# ## Coronagraphy: PSF references appended, the rule's test set by hand (as in jwst)

# %%
coron = afl.asn_from_list(["jw01234003001_02101_00001_nrcalong_calints.fits"], rule="Asn_Lv3NRCCoron", product_name="coron")
coron["products"][0]["members"].append({"expname": "jw01234004001_02101_00001_nrcalong_calints.fits", "exptype": "psf"})
coron.validity["has_psf"]["validated"] = True
print(coron.dump()[0])

# %% [markdown]
# ## Or let the headers decide (`asn-from-list --auto`): no matching by hand

# %%
headers = pathlib.Path(__file__).resolve().parent / "data" / "headers"
exposures = sorted(str(p) for p in headers.glob("*.fits"))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the files in no association, and paths in member names
    for name, made in afl.auto(exposures, folder=headers):
        print(name, "->", made["asn_type"], [m["exptype"] for m in made["products"][0]["members"]])

# %% [markdown]
# ## Check the files as the pipeline will read them (`asn-from-list --check`)

# %%
for finding in afl.check(sorted(work.glob("*_asn.json"))):
    print(finding)  # the Stage 3 members (_cal files) do not exist here yet
print("checked", len(list(work.glob("*_asn.json"))), "files in", work)
