//! `#[derive(CompactDeserialize)]`: for a plain struct with named fields, two readers, both for
//! the playground's wasm size (docs/benchmarks.md, "Bundle size", "Session 11"):
//! - `cellsim_core::yaml::Decode`, what the YAML loaders use: a static table of the fields
//!   (key, offset, and read/default/drop functions of the field's type) that one non-generic
//!   loop fills in place (`yaml::decode::decode_struct`); no per-struct code but the table. A
//!   field with `#[serde(deserialize_with = "f")]` may name the decoder's own reader with
//!   `#[decode(with = "g")]` (`g(yaml::De) -> Result<T, yaml::DeError>`), so that `f`'s serde
//!   code is not compiled in for it;
//! - serde's `Deserialize`, for other deserializers (the node backend's JSON), in less code
//!   than `#[derive(serde::Deserialize)]`, as follows.
//!
//! serde's derive gives every struct its own field-identifier type and visitor (a `match` on the
//! field names, compiled once per struct and per deserializer), keeps every field in an
//! `Option` local with a duplicate check and a drop flag, and fills the missing ones after the
//! loop; with fat LTO all of it is inlined into the deserializer's map code, about 3.3 KB per
//! struct in the wasm. This derive instead:
//! - looks keys up in the struct's `FIELDS` table through one shared, non-generic seed
//!   (`cellsim_core::yaml::compact::FieldSeed`), so the per-struct code is only
//!   `match index { 0 => out.a = map.next_value()?, ... }`;
//! - with `#[serde(default)]` on the container, starts from `Self::default()` and assigns the
//!   fields it reads (what serde does for a missing field: the container default's value);
//!   otherwise keeps one local per field, already holding its default (`#[serde(default)]`,
//!   `default = "path"`, or `None` for an `Option` field, as serde's `missing_field` gives), and
//!   an `Option` only for a required field, which is "missing field `x`" when absent.
//!
//! The `#[serde(...)]` attributes are serde's and mean the same: container `rename_all`,
//! `default`, `deny_unknown_fields`; field `rename`, `default`, `default = "path"`, `skip`,
//! `skip_deserializing`, `deserialize_with` (serialization attributes are left to serde's `Serialize`). Anything
//! else (`flatten`, `alias`, generics, enums, ...) is a compile error: use
//! serde's derive there. The messages are serde's: "unknown field `x`, expected one of ...",
//! "missing field `x`", "invalid type: ..., expected struct Name". One difference: a key given
//! twice is not an error (the last value wins); cellsim's YAML parser rejects duplicate keys
//! before deserializing, as sigs.k8s.io/yaml does, and JSON objects built from YAML cannot
//! hold them. A sequence is not read as a struct by position (serde's `visit_seq`): Go's
//! decoders do not do that either.
//!
//! The generated code names `crate::yaml::compact` and `crate::yaml::decode`, so the derive is
//! for `cellsim-core`'s own types.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as Tokens};
use quote::{format_ident, quote};
use syn::{parse_macro_input, Data, DeriveInput, Fields, LitStr, Type};

#[proc_macro_derive(CompactDeserialize, attributes(serde, decode))]
pub fn derive_compact_deserialize(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Rename {
    None,
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

impl Rename {
    fn parse(s: &LitStr) -> syn::Result<Self> {
        Ok(match s.value().as_str() {
            "lowercase" => Rename::Lower,
            "UPPERCASE" => Rename::Upper,
            "PascalCase" => Rename::Pascal,
            "camelCase" => Rename::Camel,
            "snake_case" => Rename::Snake,
            "SCREAMING_SNAKE_CASE" => Rename::ScreamingSnake,
            "kebab-case" => Rename::Kebab,
            "SCREAMING-KEBAB-CASE" => Rename::ScreamingKebab,
            _ => return Err(syn::Error::new(s.span(), "unknown rename_all rule")),
        })
    }

    /// serde_derive's `RenameRule::apply_to_field`.
    fn apply(self, field: &str) -> String {
        match self {
            Rename::None | Rename::Lower | Rename::Snake => field.to_owned(),
            Rename::Upper | Rename::ScreamingSnake => field.to_ascii_uppercase(),
            Rename::Pascal => {
                let mut pascal = String::new();
                let mut capitalize = true;
                for ch in field.chars() {
                    if ch == '_' {
                        capitalize = true;
                    } else if capitalize {
                        pascal.push(ch.to_ascii_uppercase());
                        capitalize = false;
                    } else {
                        pascal.push(ch);
                    }
                }
                pascal
            }
            Rename::Camel => {
                let pascal = Rename::Pascal.apply(field);
                pascal[..1].to_ascii_lowercase() + &pascal[1..]
            }
            Rename::Kebab => field.replace('_', "-"),
            Rename::ScreamingKebab => field.to_ascii_uppercase().replace('_', "-"),
        }
    }
}

#[derive(Default)]
struct Container {
    rename_all: Option<Rename>,
    default: bool,
    deny_unknown_fields: bool,
}

enum FieldDefault {
    /// No field-level default.
    None,
    /// `#[serde(default)]`: the field type's `Default`.
    Type,
    /// `#[serde(default = "path")]`.
    Path(syn::ExprPath),
}

struct Field {
    ident: syn::Ident,
    ty: Type,
    rename: Option<String>,
    default: FieldDefault,
    skip: bool,
    /// `#[serde(deserialize_with = "path")]`.
    with: Option<syn::ExprPath>,
    /// `#[decode(with = "path")]`: what the YAML decoder calls instead of `with` (a
    /// `fn(yaml::De) -> Result<T, yaml::DeError>`), so that `with`'s serde code is not compiled
    /// in for it.
    decode_with: Option<syn::ExprPath>,
}

/// Skip `= value` after a serde attribute that only serialization reads.
fn skip_value(meta: &syn::meta::ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    }
    Ok(())
}

fn unsupported(meta: &syn::meta::ParseNestedMeta) -> syn::Error {
    let name = meta
        .path
        .get_ident()
        .map(|i| i.to_string())
        .unwrap_or_default();
    meta.error(format!(
        "CompactDeserialize does not support #[serde({name})]; derive serde's Deserialize"
    ))
}

fn container(input: &DeriveInput) -> syn::Result<Container> {
    let mut c = Container::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename_all") {
                c.rename_all = Some(Rename::parse(&meta.value()?.parse()?)?);
            } else if meta.path.is_ident("default") {
                if meta.input.peek(syn::Token![=]) {
                    return Err(unsupported(&meta));
                }
                c.default = true;
            } else if meta.path.is_ident("deny_unknown_fields") {
                c.deny_unknown_fields = true;
            } else {
                return Err(unsupported(&meta));
            }
            Ok(())
        })?;
    }
    Ok(c)
}

fn field(f: &syn::Field) -> syn::Result<Field> {
    let mut out = Field {
        ident: f.ident.clone().expect("named field"),
        ty: f.ty.clone(),
        rename: None,
        default: FieldDefault::None,
        skip: false,
        with: None,
        decode_with: None,
    };
    for attr in f.attrs.iter().filter(|a| a.path().is_ident("decode")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("with") {
                out.decode_with = Some(meta.value()?.parse::<LitStr>()?.parse()?);
                Ok(())
            } else {
                Err(meta.error("#[decode(...)] takes only `with = \"path\"`"))
            }
        })?;
    }
    for attr in f.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                out.rename = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if meta.path.is_ident("default") {
                out.default = if meta.input.peek(syn::Token![=]) {
                    let path: LitStr = meta.value()?.parse()?;
                    FieldDefault::Path(path.parse()?)
                } else {
                    FieldDefault::Type
                };
            } else if meta.path.is_ident("deserialize_with") {
                out.with = Some(meta.value()?.parse::<LitStr>()?.parse()?);
            } else if meta.path.is_ident("skip") || meta.path.is_ident("skip_deserializing") {
                out.skip = true;
            } else if meta.path.is_ident("skip_serializing")
                || meta.path.is_ident("skip_serializing_if")
                || meta.path.is_ident("serialize_with")
            {
                skip_value(&meta)?;
            } else {
                return Err(unsupported(&meta));
            }
            Ok(())
        })?;
    }
    Ok(out)
}

/// `Option<..>` written as such (serde reads a missing `Option` field as `None`).
fn is_option(ty: &Type) -> bool {
    match ty {
        Type::Path(p) if p.qself.is_none() => {
            p.path.segments.last().is_some_and(|s| s.ident == "Option")
        }
        _ => false,
    }
}

/// The expression that reads field `f`'s value from `map` into `place`, a
/// `Result<(), A::Error>`: the `match` over the fields yields it and one `?` after the `match`
/// checks it, so the error path (dropping what was read so far) is compiled once per struct,
/// not once per field. Returns the expression and, for `deserialize_with`, the wrapper type it
/// uses (its `Deserialize` calls the function, as serde's derive does).
fn read_value(f: &Field, k: usize, place: Tokens, required: bool) -> (Tokens, Tokens) {
    match &f.with {
        None if required => (
            quote! {},
            quote! { map.next_value_seed(crate::yaml::compact::SomePlace(#place)) },
        ),
        None => (
            quote! {},
            quote! { map.next_value_seed(crate::yaml::compact::Place(#place)) },
        ),
        Some(path) => {
            let ty = &f.ty;
            let wrapper = format_ident!("With{}", k);
            let assign = if required {
                quote! { map.next_value::<#wrapper>().map(|v| *#place = ::core::option::Option::Some(v.0)) }
            } else {
                quote! { map.next_value::<#wrapper>().map(|v| *#place = v.0) }
            };
            (
                quote! {
                    struct #wrapper(#ty);
                    impl<'de> ::serde::Deserialize<'de> for #wrapper {
                        fn deserialize<D: ::serde::Deserializer<'de>>(
                            deserializer: D,
                        ) -> ::core::result::Result<Self, D::Error> {
                            #path(deserializer).map(#wrapper)
                        }
                    }
                },
                assign,
            )
        }
    }
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let name = &input.ident;
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "CompactDeserialize is for structs without generics",
        ));
    }
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            Span::call_site(),
            "CompactDeserialize is for structs with named fields",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new(
            Span::call_site(),
            "CompactDeserialize is for structs with named fields",
        ));
    };
    let c = container(input)?;
    let fields = named
        .named
        .iter()
        .map(field)
        .collect::<syn::Result<Vec<_>>>()?;

    // The names serde would list in FIELDS: the deserialized fields, in declaration order.
    let read: Vec<&Field> = fields.iter().filter(|f| !f.skip).collect();
    let names: Vec<String> = read
        .iter()
        .map(|f| match &f.rename {
            Some(r) => r.clone(),
            None => {
                let ident = f.ident.to_string();
                let ident = ident.strip_prefix("r#").unwrap_or(&ident);
                c.rename_all.unwrap_or(Rename::None).apply(ident)
            }
        })
        .collect();
    let name_str = name.to_string();
    let expecting = format!("struct {name_str}");
    let deny = c.deny_unknown_fields;
    let indices: Vec<usize> = (0..read.len()).collect();

    let body = if c.default {
        // Start from the container's default; a field-level default replaces its value first
        // (serde uses the field's own default for a missing field that has one).
        let field_defaults = fields.iter().filter_map(|f| {
            let ident = &f.ident;
            match &f.default {
                FieldDefault::None => None,
                FieldDefault::Type => {
                    Some(quote! { out.#ident = ::core::default::Default::default(); })
                }
                FieldDefault::Path(p) => Some(quote! { out.#ident = #p(); }),
            }
        });
        let (wrappers, values): (Vec<_>, Vec<_>) = read
            .iter()
            .enumerate()
            .map(|(k, f)| {
                let ident = &f.ident;
                read_value(f, k, quote! { &mut out.#ident }, false)
            })
            .unzip();
        quote! {
            #(#wrappers)*
            let mut out: #name = ::core::default::Default::default();
            #(#field_defaults)*
            while let ::core::option::Option::Some(i) = map.next_key_seed(seed)? {
                let read: ::core::result::Result<(), A::Error> = match i {
                    #(#indices => #values,)*
                    _ => map.next_value::<::serde::de::IgnoredAny>().map(|_| ()),
                };
                read?;
            }
            ::core::result::Result::Ok(out)
        }
    } else {
        let locals: Vec<syn::Ident> = (0..fields.len()).map(|i| format_ident!("f{}", i)).collect();
        let mut inits = Vec::new();
        let mut arms = Vec::new();
        let mut builds = Vec::new();
        let mut wrappers = Vec::new();
        let mut k = 0usize;
        for (f, local) in fields.iter().zip(&locals) {
            let ident = &f.ident;
            let ty = &f.ty;
            let default = match &f.default {
                FieldDefault::Type => Some(quote! { ::core::default::Default::default() }),
                FieldDefault::Path(p) => Some(quote! { #p() }),
                FieldDefault::None if f.skip || (f.with.is_none() && is_option(ty)) => {
                    Some(quote! { ::core::default::Default::default() })
                }
                FieldDefault::None => None,
            };
            let required = default.is_none();
            match default {
                Some(d) => {
                    inits.push(quote! { let mut #local: #ty = #d; });
                    builds.push(quote! { #ident: #local });
                }
                None => {
                    let key = &names[k];
                    inits.push(quote! { let mut #local: ::core::option::Option<#ty> = ::core::option::Option::None; });
                    builds.push(quote! {
                        #ident: match #local {
                            ::core::option::Option::Some(v) => v,
                            ::core::option::Option::None => {
                                return ::core::result::Result::Err(
                                    <A::Error as ::serde::de::Error>::missing_field(#key),
                                )
                            }
                        }
                    });
                }
            }
            if !f.skip {
                let (wrapper, value) = read_value(f, k, quote! { &mut #local }, required);
                wrappers.push(wrapper);
                arms.push(quote! { #k => #value, });
                k += 1;
            }
        }
        quote! {
            #(#wrappers)*
            #(#inits)*
            while let ::core::option::Option::Some(i) = map.next_key_seed(seed)? {
                let read: ::core::result::Result<(), A::Error> = match i {
                    #(#arms)*
                    _ => map.next_value::<::serde::de::IgnoredAny>().map(|_| ()),
                };
                read?;
            }
            ::core::result::Result::Ok(#name { #(#builds),* })
        }
    };

    let decode = decode_impl(name, &c, &fields, &names)?;

    Ok(quote! {
        #decode

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::core::result::Result<Self, D::Error> {
                const FIELDS: &[&str] = &[#(#names),*];
                struct Visitor;
                impl<'de> ::serde::de::Visitor<'de> for Visitor {
                    type Value = #name;
                    fn expecting(&self, f: &mut ::core::fmt::Formatter) -> ::core::fmt::Result {
                        f.write_str(#expecting)
                    }
                    #[allow(unused_mut)]
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> ::core::result::Result<#name, A::Error> {
                        let seed = crate::yaml::compact::FieldSeed { fields: FIELDS, deny: #deny };
                        #body
                    }
                }
                deserializer.deserialize_struct(#name_str, FIELDS, Visitor)
            }
        }
    })
}

/// The `cellsim_core::yaml::Decode` impl: the struct's static table for
/// `yaml::decode::decode_struct` (the YAML loaders' path; the serde impl above serves other
/// deserializers). The table's offsets and per-type functions are what the decoder's
/// `unsafe` relies on (its `StructTable` contract): one entry per field, in declaration
/// order, each naming that field's own offset and type.
fn decode_impl(
    name: &syn::Ident,
    c: &Container,
    fields: &[Field],
    names: &[String],
) -> syn::Result<Tokens> {
    if fields.len() > 64 {
        return Err(syn::Error::new(
            name.span(),
            "CompactDeserialize reads at most 64 fields (the decoder's set of read fields is a u64)",
        ));
    }
    let d = quote! { crate::yaml::decode };
    let mut helpers = Vec::new();
    let mut places = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let ident = &f.ident;
        let ty = &f.ty;
        let read = if f.skip {
            quote! { ::core::option::Option::None }
        } else if let Some(path) = f.decode_with.as_ref().or(f.with.as_ref()) {
            let helper = format_ident!("read_with_{}", i);
            helpers.push(quote! {
                unsafe fn #helper(
                    p: *mut u8,
                    de: crate::yaml::De<'_, '_>,
                ) -> ::core::result::Result<(), crate::yaml::DeError> {
                    let v: #ty = #path(de)?;
                    // SAFETY: the table's contract: `p` is this field's uninitialised place.
                    unsafe { p.cast::<#ty>().write(v) };
                    ::core::result::Result::Ok(())
                }
            });
            quote! { ::core::option::Option::Some(#helper as #d::Read) }
        } else {
            quote! {
                ::core::option::Option::Some(
                    <#ty as crate::yaml::Decode>::decode_into as #d::Read
                )
            }
        };
        let own_default = match &f.default {
            FieldDefault::Type => Some(quote! { #d::default_into::<#ty> as #d::Init }),
            FieldDefault::Path(path) => {
                let helper = format_ident!("default_{}", i);
                helpers.push(quote! {
                    unsafe fn #helper(p: *mut u8) {
                        // SAFETY: the table's contract: `p` is this field's uninitialised place.
                        unsafe { p.cast::<#ty>().write(#path()) }
                    }
                });
                Some(quote! { #helper as #d::Init })
            }
            FieldDefault::None => None,
        };
        let default = match own_default {
            Some(d) => Some(d),
            // Without a container default, a skipped field or an `Option` is `Default` when
            // absent (serde's `missing_field` gives `None`); anything else is required.
            None if !c.default && (f.skip || (f.with.is_none() && is_option(ty))) => {
                Some(quote! { #d::default_into::<#ty> as #d::Init })
            }
            None => None,
        };
        let default = match default {
            Some(d) => quote! { ::core::option::Option::Some(#d) },
            None => quote! { ::core::option::Option::None },
        };
        places.push(quote! {
            #d::FieldPlace {
                offset: ::core::mem::offset_of!(#name, #ident),
                read: #read,
                default: #default,
                drop: #d::drop_of::<#ty>(),
            }
        });
    }
    let expecting = format!("struct {name}");
    let deny = c.deny_unknown_fields;
    let container_default = if c.default {
        quote! { ::core::option::Option::Some(#d::default_into::<#name> as #d::Init) }
    } else {
        quote! { ::core::option::Option::None }
    };
    Ok(quote! {
        impl crate::yaml::Decode for #name {
            fn decode(
                de: crate::yaml::De<'_, '_>,
            ) -> ::core::result::Result<Self, crate::yaml::DeError> {
                #d::decode_via_into(de)
            }

            unsafe fn decode_into(
                p: *mut u8,
                de: crate::yaml::De<'_, '_>,
            ) -> ::core::result::Result<(), crate::yaml::DeError> {
                #(#helpers)*
                static TABLE: #d::StructTable = #d::StructTable {
                    expecting: #expecting,
                    fields: &[#(#names),*],
                    places: &[#(#places),*],
                    deny_unknown_fields: #deny,
                    container_default: #container_default,
                };
                // SAFETY: TABLE describes this struct: every field once, with its own offset
                // and functions of its own type (built above from the struct's definition);
                // `p` is an uninitialised place of it (the caller's contract).
                unsafe { #d::decode_struct(de, &TABLE, p) }
            }
        }
    })
}

/// `#[hot]` on a function or method: optimise it for speed in the wasm build, where
/// `cellsim-core` is otherwise compiled for size (`opt-level = "z"`, Cargo.toml's `web`
/// profile). Expands to `#[cfg_attr(target_arch = "wasm32", optimize(speed))]`: the size
/// level marks every function `minsize`, which caps LLVM's inlining into it at a threshold of
/// 5; a `hot` function gets the pipeline's `s` threshold back, so the small helpers and
/// iterator adapters it calls are inlined again (docs/benchmarks.md, "Session 10"). Native
/// builds are unchanged: there the attribute is not even named (it is a nightly feature, which
/// the wasm build's toolchain enables; core's lib.rs turns it on for wasm32 only).
#[proc_macro_attribute]
pub fn hot(args: TokenStream, item: TokenStream) -> TokenStream {
    if !args.is_empty() {
        return syn::Error::new(Span::call_site(), "`#[hot]` takes no arguments")
            .to_compile_error()
            .into();
    }
    let item = Tokens::from(item);
    quote! {
        #[cfg_attr(target_arch = "wasm32", optimize(speed))]
        #item
    }
    .into()
}
